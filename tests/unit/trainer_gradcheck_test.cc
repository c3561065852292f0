// The native engine's backward pass checked against central finite differences of
// its own forward pass (double-checked in fp32 with a tolerance that fits fp32).
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "trainer/llama.h"

namespace {

using trn::native::Llama;
using trn::native::ModelShape;

ModelShape tiny_shape() {
  ModelShape s;
  s.vocab_size = 11;
  s.hidden_size = 8;
  s.intermediate_size = 12;
  s.num_layers = 2;
  s.num_heads = 4;
  s.num_kv_heads = 2;  // grouped-query: 2 query heads per kv head
  s.seq_length = 5;
  return s;
}

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

TEST(NativeGradcheck, BackwardMatchesFiniteDifferences) {
  const ModelShape s = tiny_shape();
  const int B = 2;
  Llama model(s, B);
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

TEST(NativeGradcheck, LossStartsNearLogVocab) {
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
