// The native engine's backward pass checked against central finite differences of
// its own forward pass (double-checked in fp32 with a tolerance that fits fp32), for
// every parameter, with the generic kernels and with the graphs compiled for the
// shape (real host compiler, scratch compile cache).
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "tests/unit/trainer_kernels_fixture.h"
#include "trainer/model/llama.h"

namespace {

using trn::native::Llama;
using trn::native::ModelShape;

using trn::native::test_support::tiny_shape;

struct Batch {
  std::vector<int> tokens, targets;
};

Batch random_batch(const ModelShape& s, int B, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> tok(0, s.vocab_size - 1);
  Batch b;
  for (int i = 0; i < B * s.seq_length; ++i) b.tokens.push_back(tok(rng)), b.targets.push_back(tok(rng));
  return b;
}

class NativeGradcheck : public ::testing::TestWithParam<bool> {};

TEST_P(NativeGradcheck, BackwardMatchesFiniteDifferences) {
  const ModelShape s = tiny_shape();
  const int B = 2;
  Llama model(s, B);
  if (GetParam()) {
    trn::native::KernelTable compiled;
    std::string err;
    ASSERT_TRUE(trn::native::test_support::compiled_kernels(s, &compiled, &err)) << err;
    model.use_kernels(compiled);
  }
  model.init(42);
  // Larger weights than the training init so every path carries a visible gradient.
  for (auto& p : model.params()) p *= 3.0f;
  const Batch batch = random_batch(s, B, 7);

  model.zero_grad();
  model.forward(batch.tokens.data(), batch.targets.data());
  model.backward(1.0f);
  const std::vector<float> analytic = model.grads();

  // Every parameter of every tensor kind (the model is tiny on purpose).
  int checked = 0, bad = 0;
  const float eps = 1e-3f;
  for (size_t at = 0; at < model.params().size(); ++at) {
    float& p = model.params()[at];
    const float saved = p;
    p = saved + eps;
    const double up = model.forward(batch.tokens.data(), batch.targets.data());
    p = saved - eps;
    const double down = model.forward(batch.tokens.data(), batch.targets.data());
    p = saved;
    const double numeric = (up - down) / (2.0 * eps);
    const double err = std::fabs(numeric - analytic[at]);
    const double tol = 1e-3 + 1e-2 * std::fabs(numeric);
    if (err > tol) {
      ++bad;
      ADD_FAILURE() << "param " << at << ": analytic " << analytic[at] << " numeric " << numeric;
    }
    ++checked;
    if (bad > 5) break;
  }
  EXPECT_EQ(bad, 0) << "of " << checked << " checked";
}

INSTANTIATE_TEST_SUITE_P(Kernels, NativeGradcheck, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "Compiled" : "Generic"; });

TEST(NativeLoss, StartsNearLogVocab) {
  const ModelShape s = tiny_shape();
  Llama model(s, 1);
  model.init(1);
  const Batch batch = random_batch(s, 1, 5);
  const float loss = model.forward(batch.tokens.data(), batch.targets.data());
  EXPECT_NEAR(loss, std::log(static_cast<float>(s.vocab_size)), 0.2f);
}

TEST(NativeShape, ReportsEveryProblem) {
  ModelShape s = tiny_shape();
  EXPECT_TRUE(s.problems().empty());
  s.num_kv_heads = 3;
  s.hidden_size = 10;
  const auto p = s.problems();
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[0].str().rfind("hidden_size = 10: ", 0), 0u) << p[0].str();
  EXPECT_EQ(p[1].str().rfind("num_key_value_heads = 3: ", 0), 0u) << p[1].str();
}

}  // namespace
