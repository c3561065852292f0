# spank/: spank_neuron.so (issue 4). The plugin's logic lives in plain C++ files
# that know nothing of Slurm (unit-tested through a fake SPANK API); only
# spank_neuron.cc includes <slurm/spank.h>. The version script exports the SPANK
# symbols and nothing else.
SPANK_SRCS   := $(wildcard spank/*.cc)
SPANK_OBJS   := $(SPANK_SRCS:%.cc=$(OBJDIR)/%.o)
SPANK_PLUGIN := $(LIBDIR)/spank_neuron.so
LIBS_BUILT   += $(SPANK_PLUGIN)

$(OBJDIR)/spank/%.o: MODULE_FLAGS := $(SLURM_CPPFLAGS) $(LIBFABRIC_CFLAGS) -fvisibility=hidden

$(SPANK_PLUGIN): $(SPANK_OBJS) $(COMMON_LIB) spank/spank_neuron.map
	@mkdir -p $(@D)
	$(CXX) -shared $(CXXFLAGS) $(LDFLAGS) -Wl,--version-script=spank/spank_neuron.map \
	    -Wl,-z,defs -o $@ $(SPANK_OBJS) $(COMMON_LIB) $(LIBFABRIC_LIBS) -static-libstdc++ -static-libgcc

# Unit tests: tests/unit/spank_*_test.cc link the plugin's logic objects (not
# spank_neuron.o, which needs slurmstepd) plus a fake SPANK API in tests/unit/.
SPANK_TEST_SRCS := $(wildcard tests/unit/spank_*_test.cc tests/unit/fake_spank*.cc)
$(OBJDIR)/tests/unit/spank_%.o $(OBJDIR)/tests/unit/fake_spank%.o: MODULE_FLAGS := $(SLURM_CPPFLAGS) $(GTEST_CFLAGS)
ifneq ($(SPANK_TEST_SRCS),)
UNIT_TESTS += $(TESTDIR)/spank_tests
$(TESTDIR)/spank_tests: $(SPANK_TEST_SRCS:%.cc=$(OBJDIR)/%.o) $(SPANK_OBJS) $(COMMON_LIB)
	@mkdir -p $(@D)
	$(CXX) $(CXXFLAGS) $(LDFLAGS) -o $@ $(filter %.o,$^) $(COMMON_LIB) $(LIBFABRIC_LIBS) $(GTEST_LIBS)
endif
