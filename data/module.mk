# data/: Megatron indexed datasets (.bin + .idx), GPT samples over them, the tokenizers
# of `trn-train data`. The trainer links DATA_LIB for GptDataset; only what calls
# Tokenizer::open or train_sentencepiece needs SENTENCEPIECE_LIBS (the archive pulls
# tokenizer objects in only when they are referenced). CACHE_LIB: SHA-256 (cache/checksum.h, libcrypto)
# ties a PREFIX.vocab.json to its .idx.
DATA_SRCS := $(wildcard data/*.cc)
DATA_OBJS := $(DATA_SRCS:%.cc=$(OBJDIR)/%.o)
DATA_LIB  := $(LIBDIR)/libtrndata.a
LIBS_BUILT += $(DATA_LIB)
# SENTENCEPIECE_LIBS comes from configure (Debian 12: libsentencepiece-dev, whose .pc
# names both libraries, the trainer's included).
DATA_LDLIBS := $(DATA_LIB) $(CACHE_LIB) $(CONFIG_LIB) $(COMMON_LIB) $(YAMLCPP_LIBS) $(LIBCRYPTO_LIBS) -lpthread

$(OBJDIR)/data/%.o: MODULE_FLAGS := $(YAMLCPP_CFLAGS) $(JSON_CFLAGS)

$(DATA_LIB): $(DATA_OBJS)
	@mkdir -p $(@D)
	rm -f $@ && $(AR) rcs $@ $^

# Unit tests: tests/unit/data_*_test.cc
DATA_TEST_SRCS := $(wildcard tests/unit/data_*_test.cc)
$(OBJDIR)/tests/unit/data_%.o: MODULE_FLAGS := $(YAMLCPP_CFLAGS) $(GTEST_CFLAGS)
ifneq ($(DATA_TEST_SRCS),)
UNIT_TESTS += $(TESTDIR)/data_tests
$(TESTDIR)/data_tests: $(DATA_TEST_SRCS:%.cc=$(OBJDIR)/%.o) $(DATA_LIB) $(CACHE_LIB) $(CONFIG_LIB) $(COMMON_LIB)
	@mkdir -p $(@D)
	$(CXX) $(CXXFLAGS) $(LDFLAGS) -o $@ $(filter %.o,$^) $(DATA_LDLIBS) $(SENTENCEPIECE_LIBS) $(GTEST_LIBS)
endif
