# common/config/: the one config library (YAML via yaml-cpp, exception-free API):
# documents + overrides + typed getters, the site file, the config search path,
# the compile-cache location. Shared by the launcher, the trainer and the cache
# tools; kept apart from libtrncommon because the SPANK plugin must not link yaml-cpp.
CONFIG_SRCS := $(wildcard common/config/*.cc)
CONFIG_OBJS := $(CONFIG_SRCS:%.cc=$(OBJDIR)/%.o)
CONFIG_LIB  := $(LIBDIR)/libtrnconfig.a
LIBS_BUILT  += $(CONFIG_LIB)

$(OBJDIR)/common/config/%.o: MODULE_FLAGS := $(YAMLCPP_CFLAGS)

$(CONFIG_LIB): $(CONFIG_OBJS)
	@mkdir -p $(@D)
	rm -f $@ && $(AR) rcs $@ $^

# Unit tests: tests/unit/config_*_test.cc
CONFIG_TEST_SRCS := $(wildcard tests/unit/config_*_test.cc)
$(OBJDIR)/tests/unit/config_%.o: MODULE_FLAGS := $(YAMLCPP_CFLAGS) $(GTEST_CFLAGS)
ifneq ($(CONFIG_TEST_SRCS),)
UNIT_TESTS += $(TESTDIR)/config_tests
$(TESTDIR)/config_tests: $(CONFIG_TEST_SRCS:%.cc=$(OBJDIR)/%.o) $(CONFIG_LIB) $(COMMON_LIB)
	@mkdir -p $(@D)
	$(CXX) $(CXXFLAGS) $(LDFLAGS) -o $@ $(filter %.o,$^) $(CONFIG_LIB) $(COMMON_LIB) $(YAMLCPP_LIBS) $(GTEST_LIBS)
endif
