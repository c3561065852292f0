// Compile-then-train: every graph compiled for a shape (real host compiler, real
// compile cache in a scratch folder) computes what the generic kernels compute.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "tests/unit/trainer_kernels_fixture.h"
#include "trainer/model/graph_isa.h"
#include "trainer/model/llama.h"
#include "trainer/model/native_graphs.h"

namespace {

using namespace trn::native;

using test_support::tiny_shape;

TEST(NativeGraphs, OneGraphPerKernelKindAndPass) {
  const auto graphs = graph_list(tiny_shape());
  std::vector<std::string> names;
  for (const auto& g : graphs) names.push_back(g.kernel + " " + g.sizes);
  EXPECT_EQ(names, (std::vector<std::string>{
                       "rmsnorm_forward C=8", "rmsnorm_backward C=8", "rope_forward T=70 HS=2",
                       "rope_backward T=70 HS=2", "attention_forward T=70 NH=4 NKV=2 HS=2",
                       "attention_backward T=70 NH=4 NKV=2 HS=2", "swiglu_forward F=12", "swiglu_backward F=12",
                       "crossentropy_forward V=11", "crossentropy_backward V=11"}));
  // A graph's source depends only on the sizes its kernel reads: another vocabulary
  // changes the cross-entropy graphs and no other (a different cache entry each).
  ModelShape t = tiny_shape();
  t.vocab_size = 13;
  const auto other = graph_list(t);
  for (size_t i = 0; i < graphs.size(); ++i)
    EXPECT_EQ(graphs[i].source == other[i].source, graphs[i].kernel.rfind("crossentropy", 0) != 0) << i;
}

// Every register layout the host can run (trainer/kernels/common.h: 16, 8 or 4 lanes to
// a vector) against the generic kernels: graphs for the host's own level and, on an
// AVX-512 host, also held to AVX2. Head size 24: attention's dk and dv take a whole row
// of 16 lanes and 8 columns past it.
TEST(NativeGraphs, CompiledKernelsMatchGenericKernels) {
  ModelShape s = tiny_shape();
  s.hidden_size = 48, s.num_heads = 2, s.num_kv_heads = 1;
  std::vector<std::string> levels = {isa_name(host_isa_level())};
  if (host_isa_level() > 3) levels.push_back(isa_name(3));
  std::mt19937 rng(9);
  std::uniform_int_distribution<int> tok(0, s.vocab_size - 1);
  std::vector<int> tokens(2 * s.seq_length), targets(2 * s.seq_length);
  for (size_t i = 0; i < tokens.size(); ++i) tokens[i] = tok(rng), targets[i] = tok(rng);

  for (const std::string& isa : levels) {
    SCOPED_TRACE("graphs for " + isa);
    KernelTable compiled;
    std::string err;
    ASSERT_TRUE(test_support::compiled_kernels(s, &compiled, &err, isa)) << err;
    EXPECT_NE(compiled.attention_forward, KernelTable{}.attention_forward);
    Llama generic(s, 2), special(s, 2);
    generic.init(5), special.init(5);
    special.use_kernels(compiled);
    generic.zero_grad(), special.zero_grad();
    const float a = generic.forward(tokens.data(), targets.data());
    const float b = special.forward(tokens.data(), targets.data());
    EXPECT_NEAR(a, b, 1e-5f);
    generic.backward(1.0f), special.backward(1.0f);
    for (size_t i = 0; i < generic.grads().size(); ++i)
      ASSERT_NEAR(generic.grads()[i], special.grads()[i], 1e-6f + 1e-4f * std::fabs(generic.grads()[i])) << i;
  }
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
