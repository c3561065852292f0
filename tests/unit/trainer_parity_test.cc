// The native engine against PyTorch, in the manner of llm.c's test_gpt2.c: a tiny
// Llama with fixed weights and tokens runs one training step through the engine's
// own code (Llama::forward/backward over two micro-batches, clip_grad_norm, AdamW),
// every tensor of it goes to a file, and tests/parity/llama_parity.py recomputes
// them with PyTorch (float64) and compares: log-probabilities, loss, every
// parameter's gradient, the clipped norm and the parameters after the AdamW step.
// The finite-difference check (trainer_gradcheck_test.cc) shows the engine
// consistent with its own forward; this shows the forward and backward are Llama's.
// Skipped, saying so, where PyTorch is absent (Debian: apt-get install python3-torch).
#include <gtest/gtest.h>

#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "tests/unit/temp_dir.h"
#include "tests/unit/trainer_kernels_fixture.h"
#include "trainer/model/adamw.h"
#include "trainer/model/llama.h"

namespace {

using namespace trn::native;

// Debian's interpreter, which python3-torch installs into (a pyenv shim may come first).
std::string python() { return ::access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3"; }

bool have_torch() { return std::system((python() + " -c 'import torch' >/dev/null 2>&1").c_str()) == 0; }

// Sizes that reach every branch of the kernels: T spans two key tiles and five query
// tiles of the flash attention, 2 query heads per kv head, HS = 16 and F = 88 fill
// whole and partial vectors of every width.
ModelShape parity_shape() {
  ModelShape s;
  s.vocab_size = 50, s.hidden_size = 64, s.intermediate_size = 88, s.num_layers = 2;
  s.num_heads = 4, s.num_kv_heads = 2, s.seq_length = 70;
  s.rms_norm_eps = 1e-5f, s.rope_theta = 10000.0f;
  return s;
}

// Records of (name, float32 values); tests/parity/llama_parity.py reads them.
class Dump {
 public:
  explicit Dump(const std::string& path) : out_(path, std::ios::binary) { out_.write("TRNPARITY1\n", 11); }
  void put(const std::string& name, const std::vector<float>& v) {
    const uint32_t n = static_cast<uint32_t>(name.size());
    const uint64_t count = v.size();
    out_.write(reinterpret_cast<const char*>(&n), sizeof n).write(name.data(), n);
    out_.write(reinterpret_cast<const char*>(&count), sizeof count);
    out_.write(reinterpret_cast<const char*>(v.data()), static_cast<std::streamsize>(count * sizeof(float)));
  }
  template <typename T>
  void put_values(const std::string& name, const std::vector<T>& v) {
    put(name, std::vector<float>(v.begin(), v.end()));
  }
  bool ok() { return out_.flush().good(); }

 private:
  std::ofstream out_;
};

// Fixed weights far from the training init (N(0, 0.02) would leave softmax and SiLU
// nearly linear): matrices N(0, 1/sqrt(fan-in)), norm gains 1 + N(0, 0.2).
void fixed_weights(Llama* m) {
  const ModelShape& s = m->shape();
  const ParameterLayout& l = m->layout();
  std::mt19937_64 rng(20261207);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float>& p = m->params();
  auto fill = [&](size_t at, size_t n, float scale, float offset) {
    for (size_t i = 0; i < n; ++i) p[at + i] = offset + scale * normal(rng);
  };
  const size_t C = s.hidden_size, F = s.intermediate_size, V = s.vocab_size, KV = s.kv_dim();
  const float c = 1.0f / std::sqrt(float(C)), f = 1.0f / std::sqrt(float(F));
  fill(l.tok_emb, V * C, 1.0f, 0.0f);
  for (const auto& L : l.layers) {
    fill(L.attn_norm, C, 0.2f, 1.0f), fill(L.ffn_norm, C, 0.2f, 1.0f);
    fill(L.wq, C * C, c, 0), fill(L.wk, C * KV, c, 0), fill(L.wv, C * KV, c, 0), fill(L.wo, C * C, c, 0);
    fill(L.w1, C * F, c, 0), fill(L.w3, C * F, c, 0), fill(L.w2, F * C, f, 0);
  }
  fill(l.final_norm, C, 0.2f, 1.0f);
  fill(l.lm_head, C * V, c, 0);
}

// The AdamW settings of the step; warmup_steps 1 makes step 1's rate lr itself.
trn::config::OptimConfig optim() {
  trn::config::OptimConfig o;
  o.lr = 1e-2, o.weight_decay = 0.1, o.beta1 = 0.9, o.beta2 = 0.95, o.eps = 1e-8, o.warmup_steps = 1;
  return o;
}
constexpr float kClip = 1.0f;  // below the step's gradient norm, so clipping scales

// One training step as trainer/train_loop.cc runs it on one rank (two micro-batches
// of gradient accumulation), dumped; the Python side reads the same constants.
void run_and_dump(Llama* m, const std::string& path) {
  const ModelShape& s = m->shape();
  const int B = 2, N = B * s.seq_length, accum = 2;
  Dump d(path);
  const ParameterLayout& l = m->layout();
  d.put("shape", {float(s.vocab_size), float(s.hidden_size), float(s.intermediate_size), float(s.num_layers),
                  float(s.num_heads), float(s.num_kv_heads), float(s.seq_length), float(B), float(accum),
                  s.rms_norm_eps, s.rope_theta});
  const trn::config::OptimConfig o = optim();
  d.put("optim", {float(o.lr), float(o.weight_decay), float(o.beta1), float(o.beta2), float(o.eps), kClip});
  d.put("params", m->params());
  std::mt19937 rng(11);
  std::uniform_int_distribution<int> tok(0, s.vocab_size - 1);
  m->zero_grad();
  float loss = 0.0f;
  for (int micro = 0; micro < accum; ++micro) {
    std::vector<int> tokens(N), targets(N);
    for (int i = 0; i < N; ++i) tokens[i] = tok(rng), targets[i] = tok(rng);
    loss += m->forward(tokens.data(), targets.data()) / accum;
    std::vector<float> logp(static_cast<size_t>(N) * s.vocab_size);
    for (int b = 0; b < B; ++b)
      for (int t = 0; t < s.seq_length; ++t) {
        const float* p = m->next_token_probs(b, t);
        for (int v = 0; v < s.vocab_size; ++v)
          logp[(static_cast<size_t>(b) * s.seq_length + t) * s.vocab_size + v] = std::log(p[v]);
      }
    m->backward(1.0f / accum);
    const std::string k = std::to_string(micro);
    d.put_values("tokens" + k, tokens), d.put_values("targets" + k, targets), d.put("logprobs" + k, logp);
  }
  d.put("loss", {loss});
  d.put("grads", m->grads());
  const float norm = clip_grad_norm(m->grads(), kClip);
  d.put("grad_norm", {norm});
  // The norm gains are exempt from weight decay (trainer/main.cc's norm_ranges).
  std::vector<std::pair<size_t, size_t>> no_decay{{l.final_norm, s.hidden_size}};
  for (const auto& L : l.layers)
    no_decay.push_back({L.attn_norm, s.hidden_size}), no_decay.push_back({L.ffn_norm, s.hidden_size});
  AdamW opt(m->params().size(), Shard{0, m->params().size()}, no_decay);
  opt.step(m->params().data(), m->grads().data(), o, 1);
  d.put("params_after", m->params());
  ASSERT_TRUE(d.ok()) << "cannot write " << path;
}

// Runs the PyTorch side on the dump; its report (a line per tensor) is the failure message.
void expect_parity(Llama* m) {
  trn::test::TempDir dir;
  const std::string dump = dir.path + "/step1.bin", report = dir.path + "/report.txt";
  fixed_weights(m);
  run_and_dump(m, dump);
  const std::string cmd = python() + " " TRN_TOP_DIR "/tests/parity/llama_parity.py " + dump + " >" + report + " 2>&1";
  const int rc = std::system(cmd.c_str());
  const std::string text = trn::test::slurp(report);
  EXPECT_EQ(rc, 0) << "PyTorch disagrees with the engine:\n" << text;
}

class NativeParity : public ::testing::TestWithParam<bool> {};

TEST_P(NativeParity, OneStepMatchesPyTorch) {
  if (!have_torch())
    GTEST_SKIP() << "PyTorch is not installed (" << python()
                 << " -c 'import torch' fails): the parity test against PyTorch needs it "
                    "(Debian: apt-get install python3-torch)";
  const ModelShape s = parity_shape();
  Llama model(s, 2);
  if (GetParam()) {
    KernelTable compiled;
    std::string err;
    ASSERT_TRUE(test_support::compiled_kernels(s, &compiled, &err)) << err;
    model.use_kernels(compiled);
  }
  expect_parity(&model);
}

INSTANTIATE_TEST_SUITE_P(Kernels, NativeParity, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "Compiled" : "Generic"; });

}  // namespace
