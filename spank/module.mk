# spank/: spank_neuron.so (issue 4). The plugin's logic lives in plain C++ files
# that know nothing of Slurm (unit-tested through a fake SPANK API); only
# spank_neuron.cc includes <slurm/spank.h>. The version script exports the SPANK
# symbols and nothing else.
SPANK_SRCS   := $(wildcard spank/*.cc)
SPANK_OBJS   := $(SPANK_SRCS:%.cc=$(OBJDIR)/%.o)
SPANK_PLUGIN := $(LIBDIR)/spank_neuron.so
LIBS_BUILT   += $(SPANK_PLUGIN)

$(OBJDIR)/spank/%.o: MODULE_FLAGS := $(SLURM_CPPFLAGS) $(LIBFABRIC_CFLAGS) -fvisibility=hidden

# The plugin itself is linked from its own objects (the spank/ and common/ sources
# compiled again under $(OBJDIR)/plugin/ without sanitizer flags): slurmstepd is not
# instrumented, and an ASan-instrumented .so cannot be dlopen()ed into it. In a plain
# build the two sets of objects are the same code; the unit tests use the others.
PLUGIN_OBJS := $(SPANK_SRCS:%.cc=$(OBJDIR)/plugin/%.o)
PLUGIN_COMMON_LIB := $(LIBDIR)/libtrncommon-plugin.a
$(PLUGIN_COMMON_LIB): $(COMMON_SRCS:%.cc=$(OBJDIR)/plugin/%.o)
	@mkdir -p $(@D)
	rm -f $@ && $(AR) rcs $@ $^
$(OBJDIR)/plugin/%.o: %.cc
	@mkdir -p $(@D)
	$(CXX) $(PLAIN_CXXFLAGS) $(SLURM_CPPFLAGS) $(LIBFABRIC_CFLAGS) -fvisibility=hidden $(CXXFLAGS) -MMD -MP -c $< -o $@

# Link check instead of -Wl,-z,defs: the spank_* and slurm_* functions are
# provided by the process that loads the plugin (slurmstepd, srun, sbatch, slurmd),
# not by any library we could link (libslurm.so does not export them). So the
# plugin is linked without -z defs and then every undefined symbol must be either
# versioned (glibc, resolved through DT_NEEDED) or a spank_/slurm_ host function;
# anything else (a typo, a missing object) fails the build like -z defs would.
$(SPANK_PLUGIN): $(PLUGIN_OBJS) $(PLUGIN_COMMON_LIB) spank/spank_neuron.map
	@mkdir -p $(@D)
	$(CXX) -shared $(CXXFLAGS) $(filter-out $(SANITIZE_FLAGS),$(LDFLAGS)) -Wl,--version-script=spank/spank_neuron.map \
	    -Wl,-z,relro -o $@.tmp $(PLUGIN_OBJS) $(PLUGIN_COMMON_LIB) -static-libstdc++ -static-libgcc
	@bad=$$(nm -D --undefined-only $@.tmp | awk '$$1 == "U" {print $$2}' | grep -Ev '@|^(spank|slurm)_' || true); \
	 if [ -n "$$bad" ]; then echo "spank_neuron.so: unresolved symbols: $$bad" >&2; rm -f $@.tmp; exit 1; fi
	mv -f $@.tmp $@

# Unit tests: tests/unit/spank_*_test.cc link every plugin object, spank_neuron.o
# included, plus a fake SPANK API (tests/unit/fake_spank.cc: spank_getenv,
# spank_setenv, spank_get_item, spank_option_register, slurm_error, ...), the
# qiskit pattern. Chosen over linking only the logic objects so the tests also
# drive the real entry points (contexts, option callbacks, special steps, error
# reporting), and so a spank_/slurm_ function the plugin starts calling without a
# fake is a link error here. spank_neuron.cc stays a thin dispatcher.
SPANK_TEST_SRCS := $(wildcard tests/unit/spank_*_test.cc tests/unit/fake_spank*.cc)
$(OBJDIR)/tests/unit/spank_%.o $(OBJDIR)/tests/unit/fake_spank%.o: MODULE_FLAGS := $(SLURM_CPPFLAGS) $(GTEST_CFLAGS)
ifneq ($(SPANK_TEST_SRCS),)
UNIT_TESTS += $(TESTDIR)/spank_tests
$(TESTDIR)/spank_tests: $(SPANK_TEST_SRCS:%.cc=$(OBJDIR)/%.o) $(SPANK_OBJS) $(COMMON_LIB)
	@mkdir -p $(@D)
	$(CXX) $(CXXFLAGS) $(LDFLAGS) -o $@ $(filter %.o,$^) $(COMMON_LIB) $(GTEST_LIBS)
endif
