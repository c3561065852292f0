# bench/: benchmarks, run on demand with `make bench`. Each prints its measurement
# and the ratio against a peer measured in the same run; none is part of `make check`.
BENCH_SCRIPTS := $(sort $(wildcard bench/*.sh))
bench: all
	@set -e; for b in $(BENCH_SCRIPTS); do echo "== $$b"; BUILD=$(BUILD) $$b; done

# In-process launcher benchmark (planning + hostlist expansion vs scontrol).
LAUNCHER_BENCH := $(BUILD)/bench/launcher_inprocess
$(OBJDIR)/bench/%.o: MODULE_FLAGS := $(YAMLCPP_CFLAGS) $(JSON_CFLAGS) $(OPENBLAS_CFLAGS)
$(LAUNCHER_BENCH): $(OBJDIR)/bench/launcher_inprocess.o $(LAUNCHER_LIB) $(CACHE_LIB) $(CONFIG_LIB) $(COMMON_LIB)
	@mkdir -p $(@D)
	$(CXX) $(CXXFLAGS) $(LDFLAGS) -o $@ $< $(LAUNCHER_LDLIBS)
bench: $(LAUNCHER_BENCH)

# sha256_fd over one file (bench/checksum_bench.sh builds the same source against the old
# portable SHA-256 as its peer).
CHECKSUM_BENCH := $(BUILD)/bench/checksum_bench
$(CHECKSUM_BENCH): $(OBJDIR)/bench/checksum_bench.o $(CACHE_LIB) $(COMMON_LIB)
	@mkdir -p $(@D)
	$(CXX) $(CXXFLAGS) $(LDFLAGS) -o $@ $< $(CACHE_LDLIBS)
bench: $(CHECKSUM_BENCH) $(CACHE_DRIVER)
# Built with `all` (one small file) so tests/scripts/test_bench_checksum_quick.sh can run it.
ifneq ($(PLUGIN_ONLY),yes)
all: $(CHECKSUM_BENCH)
endif

# The machine's OpenBLAS sgemm peak, the yardstick of bench/trainer_bench.sh. Built with
# `all` (one small file) so tests/scripts/test_bench_trainer_quick.sh can run the benchmark.
SGEMM_PEAK := $(BUILD)/bench/sgemm_peak
$(SGEMM_PEAK): $(OBJDIR)/bench/sgemm_peak.o
	@mkdir -p $(@D)
	$(CXX) $(CXXFLAGS) $(LDFLAGS) -o $@ $< $(OPENBLAS_LIBS)
all: $(SGEMM_PEAK)
