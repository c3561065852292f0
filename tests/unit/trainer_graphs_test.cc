// Compile-then-train: the attention graph compiled for a shape (real host compiler,
// real compile cache in a scratch folder) computes what the generic kernels compute.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <random>

#include "trainer/llama.h"
#include "trainer/native_graphs.h"

namespace {

using namespace trn::native;

TEST(NativeGraphs, CompiledAttentionMatchesGenericKernels) {
  const auto dir = std::filesystem::temp_directory_path() / ("trn-graphs-test-" + std::to_string(::getpid()));
  trn::Problems problems;
  const trn::CacheSettings cache = graph_cache_settings("", {{"TRN_TRAIN_CACHE_DIR", dir.string()}}, &problems);
  ASSERT_TRUE(problems.empty()) << problems.front().str();
  ASSERT_EQ(cache.dir, dir.string());
  ModelShape s;
  s.vocab_size = 19, s.hidden_size = 16, s.intermediate_size = 24, s.num_layers = 2;
  s.num_heads = 4, s.num_kv_heads = 2, s.seq_length = 7;

  std::string err;
  ASSERT_EQ(compile_graphs(s, cache, 0, &err), 0) << err;
  AttentionKernels compiled;
  ASSERT_TRUE(load_graphs(s, cache, &compiled, &err)) << err;
  ASSERT_NE(compiled.forward, nullptr);

  std::mt19937 rng(9);
  std::uniform_int_distribution<int> tok(0, s.vocab_size - 1);
  std::vector<int> tokens(2 * s.seq_length), targets(2 * s.seq_length);
  for (size_t i = 0; i < tokens.size(); ++i) tokens[i] = tok(rng), targets[i] = tok(rng);

  Llama generic(s, 2), special(s, 2);
  generic.init(5), special.init(5);
  special.use_attention_kernels(compiled);
  generic.zero_grad(), special.zero_grad();
  const float a = generic.forward(tokens.data(), targets.data());
  const float b = special.forward(tokens.data(), targets.data());
  EXPECT_FLOAT_EQ(a, b);
  generic.backward(1.0f), special.backward(1.0f);
  for (size_t i = 0; i < generic.grads().size(); ++i)
    ASSERT_NEAR(generic.grads()[i], special.grads()[i], 1e-6f + 1e-5f * std::fabs(generic.grads()[i])) << i;

  // A different shape is a different graph (a different cache entry).
  EXPECT_NE(attention_graph_source(s), [&] { ModelShape t = s; t.seq_length = 8; return attention_graph_source(t); }());
  std::filesystem::remove_all(dir);
}

// The trainer resolves the cache folder with the launcher's one resolver: the
// TRN_TRAIN_CACHE_DIR `trn-train run` exports wins over the config's compiler_cache_url,
// which wins over the default.
TEST(NativeGraphs, CacheFolderComesFromTheOneResolver) {
  trn::Problems problems;
  EXPECT_EQ(graph_cache_settings("/fsx/cache", {{"TRN_TRAIN_CACHE_DIR", "/run/cache"}}, &problems).dir, "/run/cache");
  EXPECT_EQ(graph_cache_settings("file:///fsx/cache", {}, &problems).dir, "/fsx/cache");
  EXPECT_EQ(graph_cache_settings("", {{"NEURON_CC_FLAGS", "--cache_dir=/cc"}}, &problems).dir, "/cc");
  EXPECT_TRUE(problems.empty());
  graph_cache_settings("", {{"TRN_CACHE_MAX_SIZE", "lots"}}, &problems);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].key, "TRN_CACHE_MAX_SIZE");
}

}  // namespace
