# launcher/: the `trn-train` command (issue 3). Everything but main.cc goes into a
# library so unit tests and benchmarks link the same code the command runs.
# Folders by concern: plan/ (config -> Plan), neuron/ (the Neuron backends' environment
# and compile), preflight/, commands/ (what each subcommand does with a Plan).
LAUNCHER_SRCS := $(filter-out launcher/main.cc,$(wildcard launcher/*.cc launcher/*/*.cc))
LAUNCHER_OBJS := $(LAUNCHER_SRCS:%.cc=$(OBJDIR)/%.o)
LAUNCHER_LIB  := $(LIBDIR)/libtrnlauncher.a
TRN_TRAIN     := $(BINDIR)/trn-train
LIBS_BUILT    += $(LAUNCHER_LIB)
BINS_BUILT    += $(TRN_TRAIN)
LAUNCHER_LDLIBS := $(LAUNCHER_LIB) $(CACHE_LIB) $(CONFIG_LIB) $(COMMON_LIB) $(YAMLCPP_LIBS) $(LIBCRYPTO_LIBS) -lpthread

$(OBJDIR)/launcher/%.o: MODULE_FLAGS := $(YAMLCPP_CFLAGS) $(JSON_CFLAGS)

$(LAUNCHER_LIB): $(LAUNCHER_OBJS)
	@mkdir -p $(@D)
	rm -f $@ && $(AR) rcs $@ $^

# `trn-train data` (launcher/commands/data_command.cc) is the one user of data/ and SentencePiece here.
$(TRN_TRAIN): $(OBJDIR)/launcher/main.o $(LAUNCHER_LIB) $(DATA_LIB) $(CACHE_LIB) $(CONFIG_LIB) $(COMMON_LIB)
	@mkdir -p $(@D)
	$(CXX) $(CXXFLAGS) $(LDFLAGS) -o $@ $< $(LAUNCHER_LIB) $(DATA_LIB) $(LAUNCHER_LDLIBS) $(SENTENCEPIECE_LIBS)

# Unit tests: tests/unit/launcher_*_test.cc and common_*_test.cc
LAUNCHER_TEST_SRCS := $(wildcard tests/unit/launcher_*_test.cc tests/unit/common_*_test.cc)
$(OBJDIR)/tests/unit/launcher_%.o: MODULE_FLAGS := $(YAMLCPP_CFLAGS) $(JSON_CFLAGS) $(GTEST_CFLAGS)
ifneq ($(LAUNCHER_TEST_SRCS),)
UNIT_TESTS += $(TESTDIR)/launcher_tests
$(TESTDIR)/launcher_tests: $(LAUNCHER_TEST_SRCS:%.cc=$(OBJDIR)/%.o) $(LAUNCHER_LIB) $(CACHE_LIB) $(CONFIG_LIB) $(COMMON_LIB)
	@mkdir -p $(@D)
	$(CXX) $(CXXFLAGS) $(LDFLAGS) -o $@ $(filter %.o,$^) $(LAUNCHER_LDLIBS) $(GTEST_LIBS)
endif
