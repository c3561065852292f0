// The memory a shape needs, refused before anything is allocated (issue 10: absurd
// shapes ended in std::bad_alloc, an OOM kill or a machine swapping for hours).
#include <gtest/gtest.h>

#include "trainer/model/memory_estimate.h"

namespace {

using namespace trn::native;

ModelShape shape(int vocab, int hidden, int layers, int seq) {
  ModelShape s;
  s.vocab_size = vocab, s.hidden_size = hidden, s.intermediate_size = hidden * 3, s.num_layers = layers;
  s.num_heads = 4, s.num_kv_heads = 2, s.seq_length = seq;
  return s;
}

TEST(MemoryEstimate, CountsStateAndActivations) {
  const ModelShape s = shape(64, 64, 2, 32);
  const uint64_t params = ParameterLayout(s).total;
  const auto one = training_bytes(s, 1), two = training_bytes(s, 2);
  ASSERT_TRUE(one && two);
  EXPECT_GT(*one, 16 * params);  // weights, gradients, AdamW m and v
  EXPECT_LT(*one, 40 * params);  // and no more than this small model's activations
  EXPECT_GT(*two, *one);         // activations grow with the micro-batch
  EXPECT_TRUE(memory_problems(s, 2, 4, uint64_t{1} << 40).empty());
}

// ZeRO-1: each rank holds AdamW m, v and the weight-decay mask of its shard only.
TEST(MemoryEstimate, Zero1CountsTheOptimizerShardOnly) {
  const ModelShape s = shape(64, 64, 2, 32);
  const uint64_t params = ParameterLayout(s).total;
  for (int ranks : {2, 3, 4}) {
    const uint64_t shard = (params + ranks - 1) / ranks;
    EXPECT_EQ(*training_bytes(s, 2) - *training_bytes(s, 2, ranks), (params - shard) * (2 * 4 + 1)) << ranks;
  }
  EXPECT_EQ(*training_bytes(s, 2, 1), *training_bytes(s, 2));
}

// The flash-style attention keeps a log-sum-exp [B,NH,T] per layer, not the
// probabilities [B,NH,T,T]: the activations grow linearly with seq_length.
TEST(MemoryEstimate, ActivationsGrowLinearlyWithSequenceLength) {
  const auto at = [](int seq) { return static_cast<int64_t>(*training_bytes(shape(64, 64, 2, seq), 2)); };
  EXPECT_EQ(at(2048) - at(1024), at(3072) - at(2048));
}

TEST(MemoryEstimate, RefusesWhatTheMachineCannotHoldNamingBothFigures) {
  const ModelShape s = shape(100'000, 8192, 80, 4096);  // ~70e9 parameters
  const trn::Problems p = memory_problems(s, 1, 2, uint64_t{64} << 30);
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].key, "memory");
  EXPECT_NE(p[0].value.find("per rank x 2 rank(s)"), std::string::npos) << p[0].str();
  EXPECT_NE(p[0].fix.find("64.0 GiB available"), std::string::npos) << p[0].str();
  EXPECT_TRUE(memory_problems(s, 1, 2, 0).empty());  // unknown memory: only the hard limits
}

TEST(MemoryEstimate, OverflowAndThirtyTwoBitLimitsAreProblemsNotWraps) {
  const ModelShape huge = shape(100'000'000, 100'000'000, 100'000'000, 10'000'000);
  EXPECT_FALSE(training_bytes(huge, 1'000'000));
  const trn::Problems p = memory_problems(huge, 1'000'000, 1, 0);
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[0].key, "data.micro_batch_size");  // 1e6 x 1e7 tokens: beyond int rows
  EXPECT_EQ(p[1].key, "memory");
  EXPECT_NE(p[1].value.find("more than 16 EiB"), std::string::npos);
}

TEST(MemoryEstimate, ReadsThisMachine) { EXPECT_GT(available_memory_bytes(), uint64_t{1} << 20); }

}  // namespace
