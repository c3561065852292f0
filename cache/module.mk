# cache/: the shared compile cache library (issue 5), used by the launcher's
# `trn-train cache` commands, the native trainer and the Neuron backends.
CACHE_SRCS := $(wildcard cache/*.cc)
CACHE_OBJS := $(CACHE_SRCS:%.cc=$(OBJDIR)/%.o)
CACHE_LIB  := $(LIBDIR)/libtrncache.a
LIBS_BUILT += $(CACHE_LIB)
# LIBCRYPTO_LIBS: SHA-256 (cache/checksum.cc); every program that links CACHE_LIB needs it.
CACHE_LDLIBS := $(CACHE_LIB) $(COMMON_LIB) $(LIBCRYPTO_LIBS) -lpthread

# nlohmann::json for every JSON file the cache writes (compile_flags.json).
$(OBJDIR)/cache/%.o: MODULE_FLAGS := $(JSON_CFLAGS) $(LIBCRYPTO_CFLAGS)

$(CACHE_LIB): $(CACHE_OBJS)
	@mkdir -p $(@D)
	rm -f $@ && $(AR) rcs $@ $^

# Unit tests: tests/unit/cache_*_test.cc (they parse what the cache writes as JSON)
CACHE_TEST_SRCS := $(wildcard tests/unit/cache_*_test.cc)
$(OBJDIR)/tests/unit/cache_%.o: MODULE_FLAGS := $(JSON_CFLAGS) $(GTEST_CFLAGS)
ifneq ($(CACHE_TEST_SRCS),)
UNIT_TESTS += $(TESTDIR)/cache_tests
$(TESTDIR)/cache_tests: $(CACHE_TEST_SRCS:%.cc=$(OBJDIR)/%.o) $(CACHE_LIB) $(COMMON_LIB)
	@mkdir -p $(@D)
	$(CXX) $(CXXFLAGS) $(LDFLAGS) -o $@ $(filter %.o,$^) $(CACHE_LDLIBS) $(GTEST_LIBS)
endif

# tests/unit/child_exec_test.cc replaces operator new (an allocation in a forked child
# fails the test), so it is a binary of its own.
ifneq ($(HAVE_GTEST),no)
UNIT_TESTS += $(TESTDIR)/child_exec_tests
$(OBJDIR)/tests/unit/child_exec_test.o: MODULE_FLAGS := $(GTEST_CFLAGS)
$(TESTDIR)/child_exec_tests: $(OBJDIR)/tests/unit/child_exec_test.o $(CACHE_LIB) $(COMMON_LIB)
	@mkdir -p $(@D)
	$(CXX) $(CXXFLAGS) $(LDFLAGS) -o $@ $(filter %.o,$^) $(CACHE_LDLIBS) $(GTEST_LIBS)
endif

# cache_driver: the stress tests' and benchmarks' client (get/compile/populate/
# lookup-bench) plus `cache status|verify|clean|clear-locks` through the same
# launcher/commands/cache_command.cc that trn-train links, so the cache can be tested
# before (and independently of) the launcher's main.cc.
CACHE_DRIVER := $(TESTDIR)/cache_driver
$(OBJDIR)/tests/doubles/cache_driver.o: MODULE_FLAGS := $(YAMLCPP_CFLAGS)
$(CACHE_DRIVER): $(OBJDIR)/tests/doubles/cache_driver.o $(OBJDIR)/launcher/commands/cache_command.o $(OBJDIR)/launcher/plan/config_loader.o $(OBJDIR)/launcher/plan/torchtitan_config.o $(CACHE_LIB) $(CONFIG_LIB) $(COMMON_LIB)
	@mkdir -p $(@D)
	$(CXX) $(CXXFLAGS) $(LDFLAGS) -o $@ $(filter %.o,$^) $(CACHE_LIB) $(CONFIG_LIB) $(COMMON_LIB) $(YAMLCPP_LIBS) $(LIBCRYPTO_LIBS) -lpthread
ifneq ($(PLUGIN_ONLY),yes)
all: $(CACHE_DRIVER)
endif
