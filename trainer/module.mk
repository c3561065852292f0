# trainer/: the bundled native Llama engine (OpenBLAS for GEMM, MPI for data
# parallelism). Everything but main.cc goes into a library so the gradient-check
# tests link the same code the trainer runs.
# trainer/mpi/: the only code that includes <mpi.h> (the fuzz build compiles
# trainer/*.cc without MPI's flags).
# Folders by concern: model/ (the network, its graphs and optimizer), data/ (batches),
# checkpoint/ (save, resume, the experiment folder), report/ (metrics, TensorBoard,
# the progress line); main.cc, train_settings and train_loop read top to bottom.
TRAINER_PLAIN_DIRS := trainer trainer/model trainer/data trainer/checkpoint trainer/report
TRAINER_SRCS := $(filter-out trainer/main.cc,$(foreach d,$(TRAINER_PLAIN_DIRS),$(wildcard $(d)/*.cc))) \
                $(wildcard trainer/mpi/*.cc)
# The kernel templates' source text (trainer/kernels/, common.h first, bound.h last),
# embedded so the compile step can build shape-specialised graphs from it on any
# node (no installed headers needed); their own #include lines and #pragma once go.
KERNEL_HEADERS := trainer/kernels/common.h trainer/kernels/rmsnorm.h trainer/kernels/rope.h \
                  trainer/kernels/attention.h trainer/kernels/swiglu.h trainer/kernels/crossentropy.h \
                  trainer/kernels/bound.h
KERNEL_SOURCE_CC := $(BUILD)/gen/trainer/kernel_source.cc
TRAINER_OBJS := $(TRAINER_SRCS:%.cc=$(OBJDIR)/%.o) $(OBJDIR)/gen/trainer/kernel_source.o
$(KERNEL_SOURCE_CC): $(KERNEL_HEADERS) trainer/module.mk
	@mkdir -p $(@D)
	{ echo '// Generated from trainer/kernels/*.h by trainer/module.mk.'; \
	  echo 'namespace trn::native { extern const char kKernelSource[]; const char kKernelSource[] = R"TRNKERNEL('; \
	  sed -e '/#pragma once/d' -e '/^#include "trainer\/kernels\//d' $(KERNEL_HEADERS); echo ')TRNKERNEL"; }'; } > $@
$(OBJDIR)/gen/trainer/kernel_source.o: $(KERNEL_SOURCE_CC)
	@mkdir -p $(@D)
	$(CXX) $(TRN_CXXFLAGS) $(CXXFLAGS) -c $< -o $@
TRAINER_LIB  := $(LIBDIR)/libtrnnative.a
LIBS_BUILT   += $(TRAINER_LIB)
# DATA_LIB: Megatron datasets and tokenizers (data/); SentencePiece only for the
# tokenizer the generate mode opens.
TRAINER_LDLIBS := $(TRAINER_LIB) $(DATA_LIB) $(CACHE_LIB) $(CONFIG_LIB) $(COMMON_LIB) $(YAMLCPP_LIBS) $(LIBCRYPTO_LIBS) $(OPENBLAS_LIBS) \
                  -ldl -lpthread -fopenmp

# OpenMP: the process's one thread pool (trainer/model/threads.h); libgomp ships with g++.
# -fno-trapping-math: lets the kernels' range selects vectorise (kernels/common.h,
# exp_simd); nothing here reads floating-point exception flags, and results do not change.
# -ffp-contract=off: no fused multiply-add where the source has none, so the optimizer's
# clones for each instruction set (trainer/model/isa_clones.h) round alike and the
# replicas of a data-parallel job on nodes of mixed CPUs stay bit-identical.
# -fno-math-errno: std::sqrt is one instruction (with errno it branches to libm on a
# negative input, and the loop around it does not vectorise); nothing reads errno after math.
$(OBJDIR)/trainer/%.o: MODULE_FLAGS := $(MPI_CXXFLAGS) $(OPENBLAS_CFLAGS) $(YAMLCPP_CFLAGS) $(JSON_CFLAGS) -fopenmp \
                                      -fno-trapping-math -ffp-contract=off -fno-math-errno

$(TRAINER_LIB): $(TRAINER_OBJS)
	@mkdir -p $(@D)
	rm -f $@ && $(AR) rcs $@ $^

ifneq ($(wildcard trainer/main.cc),)
TRN_NATIVE := $(BINDIR)/trn-train-native
BINS_BUILT += $(TRN_NATIVE)
# -rdynamic: the stack a rank prints on SIGUSR2 (trainer/report/stack_dump.h) names our
# functions, not only their offsets.
$(TRN_NATIVE): $(OBJDIR)/trainer/main.o $(TRAINER_LIB) $(DATA_LIB) $(CACHE_LIB) $(CONFIG_LIB) $(COMMON_LIB)
	@mkdir -p $(@D)
	$(CXX) $(CXXFLAGS) $(LDFLAGS) -rdynamic -o $@ $< $(TRAINER_LDLIBS) $(SENTENCEPIECE_LIBS) $(MPI_LIBS)
endif

# Unit tests: tests/unit/trainer_*_test.cc (gradient checks against finite differences).
TRAINER_TEST_SRCS := $(wildcard tests/unit/trainer_*_test.cc)
$(OBJDIR)/tests/unit/trainer_%.o: MODULE_FLAGS := $(GTEST_CFLAGS) $(OPENBLAS_CFLAGS) $(YAMLCPP_CFLAGS) $(JSON_CFLAGS) \
                                               -fopenmp -DTRN_TOP_DIR=\"$(CURDIR)\"
ifneq ($(TRAINER_TEST_SRCS),)
UNIT_TESTS += $(TESTDIR)/trainer_tests
$(TESTDIR)/trainer_tests: $(TRAINER_TEST_SRCS:%.cc=$(OBJDIR)/%.o) $(TRAINER_LIB) $(DATA_LIB) $(CACHE_LIB) $(CONFIG_LIB) $(COMMON_LIB)
	@mkdir -p $(@D)
	$(CXX) $(CXXFLAGS) $(LDFLAGS) -o $@ $(filter %.o,$^) $(TRAINER_LDLIBS) $(SENTENCEPIECE_LIBS) $(GTEST_LIBS)
endif
