# tests/fuzz/: libFuzzer targets for every parser that reads input a user or
# another user controls. Built with clang (FUZZ_CXX) and ASan + UBSan, the code
# under test compiled into one instrumented archive; `make fuzz` runs each target
# for FUZZ_SECONDS (default 60) from its seed corpus in tests/fuzz/corpus/<target>/
# (from the repository root: the config target reads conf/instances.yaml) and fails
# on any finding (crash, hang, leak, sanitizer report), leaving the reproducer as
# $(BUILD)/fuzz/<target>-crash-*. CI runs it short.
FUZZ_SECONDS ?= 60
FUZZ_DIR     := $(BUILD)/fuzz
FUZZ_FLAGS   := -std=c++17 -g -O1 -I. -fsanitize=address,undefined -fno-sanitize-recover=undefined \
                -DTRN_VERSION=\"fuzz\" -DTRN_DATADIR=\"/nonexistent\" -DTRN_SYSCONFDIR=\"/nonexistent\"
# The code under test: everything that parses, no main(), nothing that needs Slurm,
# MPI or BLAS at link time. data/: all of it (a target pulls in only the objects it
# references; SentencePiece is linked for the tokenizer's).
FUZZ_LIB_SRCS := $(COMMON_SRCS) $(CONFIG_SRCS) $(CACHE_SRCS) $(DATA_SRCS) \
                 $(LAUNCHER_SRCS) \
                 $(filter-out spank/spank_neuron.cc,$(SPANK_SRCS)) \
                 $(filter-out trainer/model/native_graphs.cc,$(filter-out trainer/main.cc,$(TRAINER_SRCS:trainer/mpi/%=)))
FUZZ_LIB     := $(FUZZ_DIR)/libfuzzed.a
FUZZ_TARGETS := $(patsubst tests/fuzz/%.cc,$(FUZZ_DIR)/%,$(wildcard tests/fuzz/fuzz_*.cc))

$(FUZZ_DIR)/obj/%.o: %.cc
	@mkdir -p $(@D)
	$(FUZZ_CXX) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link $(YAMLCPP_CFLAGS) $(JSON_CFLAGS) $(LIBCRYPTO_CFLAGS) $(SLURM_CPPFLAGS) \
	    $(OPENBLAS_CFLAGS) -MMD -MP -c $< -o $@
$(FUZZ_LIB): $(FUZZ_LIB_SRCS:%.cc=$(FUZZ_DIR)/obj/%.o)
	rm -f $@ && $(AR) rcs $@ $^
$(FUZZ_DIR)/fuzz_%: $(FUZZ_DIR)/obj/tests/fuzz/fuzz_%.o $(FUZZ_LIB)
	$(FUZZ_CXX) $(FUZZ_FLAGS) -fsanitize=fuzzer -o $@ $^ $(YAMLCPP_LIBS) $(LIBCRYPTO_LIBS) $(OPENBLAS_LIBS) $(SENTENCEPIECE_LIBS) -lpthread -ldl

.SECONDARY: $(FUZZ_TARGETS:$(FUZZ_DIR)/%=$(FUZZ_DIR)/obj/tests/fuzz/%.o)
.PHONY: fuzz fuzz-build
fuzz-build:
	@test -n "$(FUZZ_CXX)" || { echo "make fuzz needs clang++ (Debian: clang libclang-rt-14-dev)" >&2; exit 2; }
	@$(MAKE) --no-print-directory $(FUZZ_TARGETS)
fuzz: fuzz-build
	@set -e; for t in $(FUZZ_TARGETS); do \
	  name=$$(basename $$t); work=$(FUZZ_DIR)/corpus/$$name; mkdir -p $$work; \
	  echo "== $$name ($(FUZZ_SECONDS) s)"; \
	  $$t -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 -max_len=4096 -print_final_stats=1 \
	      -artifact_prefix=$(FUZZ_DIR)/$$name- $$work tests/fuzz/corpus/$$name 2>&1 | tail -4; \
	  test $${PIPESTATUS[0]} -eq 0 || { echo "fuzz: $$name found a problem (reproducer in $(FUZZ_DIR))" >&2; exit 1; }; \
	done
-include $(shell find $(FUZZ_DIR)/obj -name '*.d' 2>/dev/null)
