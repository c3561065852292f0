// The buckets of the overlapped gradient all-reduce (trainer/model/grad_buckets.h): how the
// buffer is cut, when a bucket is complete, the TRN_NATIVE_GRAD_BUCKET_MB knob, and,
// with the real model, that a bucket complete during backward already holds its
// final gradients (what lets its all-reduce start early). The MPI side is checked
// bitwise against the single all-reduce by tests/scripts/test_trainer_grad_overlap.sh.
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "trainer/model/grad_buckets.h"
#include "trainer/model/llama.h"

namespace {

using trn::native::GradBuckets;

std::vector<std::pair<size_t, size_t>> spans(const GradBuckets& b) {
  std::vector<std::pair<size_t, size_t>> r;
  for (const auto& x : b.buckets()) r.push_back({x.begin, x.end});
  return r;
}

TEST(GradBuckets, CutFromTheEndBecauseBackwardFinishesThereFirst) {
  using Spans = std::vector<std::pair<size_t, size_t>>;
  EXPECT_EQ(spans(GradBuckets(10, 4)), (Spans{{6, 10}, {2, 6}, {0, 2}}));
  EXPECT_EQ(spans(GradBuckets(8, 4)), (Spans{{4, 8}, {0, 4}}));
  EXPECT_EQ(spans(GradBuckets(3, 100)), (Spans{{0, 3}}));
  EXPECT_TRUE(GradBuckets(0, 4).buckets().empty());
}

TEST(GradBuckets, CompleteOnceEveryElementIsReported) {
  GradBuckets b(10, 4);  // [6,10) [2,6) [0,2)
  using Idx = std::vector<size_t>;
  EXPECT_EQ(b.complete(8, 10), Idx{});
  EXPECT_EQ(b.complete(5, 8), Idx{0});  // spans buckets 0 and 1
  EXPECT_EQ(b.complete(3, 5), Idx{});
  EXPECT_EQ(b.complete(3, 3), Idx{});  // empty range
  EXPECT_EQ(b.complete(0, 3), (Idx{1, 2}));
  for (const auto& x : b.buckets()) EXPECT_EQ(x.pending, 0u);
}

TEST(GradBuckets, ReportsInAnyOrder) {
  GradBuckets b(10, 4);
  using Idx = std::vector<size_t>;
  EXPECT_EQ(b.complete(0, 1), Idx{});
  EXPECT_EQ(b.complete(2, 9), Idx{1});
  EXPECT_EQ(b.complete(1, 2), Idx{2});
  EXPECT_EQ(b.complete(9, 10), Idx{0});
}

TEST(GradBuckets, SizeFromTheEnvironment) {
  trn::Problem bad;
  EXPECT_EQ(trn::native::grad_bucket_floats(nullptr, &bad), 25u * 1024 * 1024 / 4);  // DDP's bucket_cap_mb
  EXPECT_EQ(trn::native::grad_bucket_floats("0", &bad), 0u);                          // no overlap
  EXPECT_EQ(trn::native::grad_bucket_floats("0.5", &bad), 131072u);
  EXPECT_EQ(trn::native::grad_bucket_floats("1e-9", &bad), 1u);
  EXPECT_TRUE(bad.key.empty());
  for (const char* value : {"", "x", "-1", "25MB", "nan", "9000"}) {
    bad = {};
    EXPECT_EQ(trn::native::grad_bucket_floats(value, &bad), 25u * 1024 * 1024 / 4) << value;
    EXPECT_EQ(bad.key, "TRN_NATIVE_GRAD_BUCKET_MB") << value;
    EXPECT_EQ(bad.value, value);
    EXPECT_NE(bad.fix.find("MiB"), std::string::npos) << bad.fix;
  }
}

// Two accumulated micro-batches, the buckets fed by the second one's reports: each
// bucket is complete exactly once, lowest index first, and its contents then are
// its final contents.
TEST(GradBuckets, CompleteBucketsHoldFinalGradientsDuringBackward) {
  trn::native::ModelShape s;
  s.vocab_size = 13, s.hidden_size = 8, s.intermediate_size = 12, s.num_layers = 3, s.num_heads = 4,
  s.num_kv_heads = 2, s.seq_length = 6;
  const int B = 2;
  trn::native::Llama model(s, B);
  model.init(3);
  std::mt19937 rng(5);
  std::uniform_int_distribution<int> tok(0, s.vocab_size - 1);
  std::vector<int> tokens(B * s.seq_length), targets(tokens.size());
  auto step = [&] {
    for (size_t i = 0; i < tokens.size(); ++i) tokens[i] = tok(rng), targets[i] = tok(rng);
    model.forward(tokens.data(), targets.data());
    model.backward(0.5f);
  };
  model.zero_grad();
  step();

  const auto& g = model.grads();
  GradBuckets buckets(g.size(), 37);  // a size that cuts through tensors
  std::vector<size_t> order;
  std::vector<std::vector<float>> seen(buckets.buckets().size());
  size_t reported = 0;
  model.on_grads_ready([&](size_t begin, size_t end) {
    reported += end - begin;
    for (size_t k : buckets.complete(begin, end)) {
      order.push_back(k);
      const auto& b = buckets.buckets()[k];
      seen[k].assign(g.begin() + b.begin, g.begin() + b.end);
    }
  });
  step();
  model.on_grads_ready(nullptr);

  EXPECT_EQ(reported, g.size());
  ASSERT_EQ(order.size(), buckets.buckets().size());
  for (size_t k = 0; k < order.size(); ++k) {
    EXPECT_EQ(order[k], k);
    const auto& b = buckets.buckets()[k];
    EXPECT_EQ(seen[k], std::vector<float>(g.begin() + b.begin, g.begin() + b.end)) << "bucket " << k;
  }
}

// Built once per run: after a step's buckets are all complete, rearm() makes the next
// step's reports complete them again, in the same order.
TEST(GradBuckets, RearmedBucketsCompleteAgainNextStep) {
  GradBuckets buckets(100, 30);
  for (int step = 0; step < 3; ++step) {
    std::vector<size_t> order;
    for (size_t end = 100; end > 0; end -= 10)
      for (size_t k : buckets.complete(end - 10, end)) order.push_back(k);
    EXPECT_EQ(order, (std::vector<size_t>{0, 1, 2, 3})) << "step " << step;
    buckets.rearm();
  }
}

}  // namespace
