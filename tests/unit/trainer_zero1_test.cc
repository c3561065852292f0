// ZeRO-1's arithmetic (trainer/model/zero1.h): the ranks' slices cover the parameters
// exactly once, and AdamW run slice by slice (each with its own m and v, the
// weight-decay exemptions cut at the slice edges) is the unsharded update, bit for bit.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <tuple>

#include "trainer/model/adamw.h"
#include "trainer/model/zero1.h"

namespace {

using namespace trn::native;

TEST(Zero1, SlicesCoverEveryParameterOnce) {
  for (size_t n : {0, 1, 7, 100672}) {
    for (int world : {1, 2, 3, 4, 7}) {
      size_t next = 0, smallest = n, largest = 0;
      for (int r = 0; r < world; ++r) {
        const Shard s = shard_of(n, world, r);
        EXPECT_EQ(s.begin, next) << n << " over " << world;
        next += s.size;
        smallest = std::min(smallest, s.size), largest = std::max(largest, s.size);
        EXPECT_EQ(shard_sizes(n, world)[r], s.size);
      }
      EXPECT_EQ(next, n);
      EXPECT_LE(largest - smallest, 1u);
    }
  }
}

TEST(Zero1, ShardedAdamWEqualsTheWholeUpdate) {
  const size_t n = 103;
  // One exemption range inside a slice, one across a slice edge (n / 3 = 34 or 35).
  const std::vector<std::pair<size_t, size_t>> no_decay{{3, 5}, {30, 10}};
  trn::config::OptimConfig o;
  o.lr = 1e-2, o.weight_decay = 0.1, o.warmup_steps = 1, o.decay_steps = 5;
  std::vector<float> whole(n), sharded(n), grads(n);
  for (size_t i = 0; i < n; ++i) whole[i] = sharded[i] = 0.01f * static_cast<float>(i) - 0.5f;
  AdamW full(n, {0, n}, no_decay);
  std::vector<AdamW> parts;
  const int world = 3;
  for (int r = 0; r < world; ++r) {
    const Shard s = shard_of(n, world, r);
    parts.emplace_back(n, s, no_decay);
    EXPECT_TRUE(parts.back().sharded());
    EXPECT_EQ(parts.back().m().size(), s.size);  // 1/N of the state per rank
  }
  EXPECT_FALSE(full.sharded());
  for (int step = 1; step <= 4; ++step) {
    for (size_t i = 0; i < n; ++i) grads[i] = std::sin(static_cast<float>(i * step)) * 0.1f;
    full.step(whole.data(), grads.data(), o, step);
    for (AdamW& p : parts) p.step(sharded.data() + p.shard().begin, grads.data() + p.shard().begin, o, step);
  }
  EXPECT_EQ(whole, sharded);
  for (AdamW& p : parts)
    for (size_t i = 0; i < p.shard().size; ++i) EXPECT_EQ(p.m()[i], full.m()[p.shard().begin + i]);
}

// main.cc sizes the AdamW state by this before anything is loaded: a ZeRO-1 rank
// never allocates the full m and v (it used to, and kept its slice only at resume).
TEST(Zero1, TheOptimizerShardIsTheRanksSliceOnlyWithZero1OverSeveralRanks) {
  for (const auto& [yaml, world, want_sharded] :
       {std::tuple{"distributed_strategy: {zero1: true}", 4, true}, std::tuple{"distributed_strategy: {zero1: true}", 1, false},
        std::tuple{"distributed_strategy: {zero1: false}", 4, false}, std::tuple{"distributed_strategy: {zero1: maybe}", 4, false}}) {
    TrainSettings s;
    trn::Problems problems;
    ASSERT_TRUE(trn::config::Document::parse(yaml, "test.yaml", &s.doc, &problems)) << yaml;
    for (int rank = 0; rank < world; ++rank) {
      const Shard got = optimizer_shard(s, 100672, world, rank);
      const Shard want = want_sharded ? shard_of(100672, world, rank) : Shard{0, 100672};
      EXPECT_EQ(got.begin, want.begin) << yaml;
      EXPECT_EQ(got.size, want.size) << yaml;
      AdamW opt(100672, got, {});
      EXPECT_EQ(opt.m().size(), want.size);
      EXPECT_EQ(opt.sharded(), want_sharded);
    }
  }
}

TEST(Zero1, ReadsTheNxdtKey) {
  for (const auto& [yaml, want, bad] : {std::tuple{"distributed_strategy: {zero1: True}", true, false},
                                        std::tuple{"distributed_strategy: {zero1: false}", false, false},
                                        std::tuple{"trainer: {max_steps: 1}", false, false},
                                        std::tuple{"distributed_strategy: {zero1: sometimes}", false, true}}) {
    TrainSettings s;
    trn::Problems problems;
    ASSERT_TRUE(trn::config::Document::parse(yaml, "test.yaml", &s.doc, &problems)) << yaml;
    EXPECT_EQ(zero1_enabled(s, &problems), want) << yaml;
    ASSERT_EQ(problems.size(), bad ? 1u : 0u) << yaml;
    if (bad) {
      EXPECT_EQ(problems[0].key, "distributed_strategy.zero1");
    }
  }
}

}  // namespace
