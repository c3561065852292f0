#include "trainer/model/llama.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>

#include "trainer/model/threads.h"

namespace trn::native {
namespace {
std::string show(float v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", static_cast<double>(v));
  return buf;
}
}  // namespace

Problems ModelShape::problems() const {
  Problems out;
  auto positive = [&](const char* key, int v) {
    if (v <= 0) out.push_back({key, std::to_string(v), "must be a positive integer"});
  };
  positive("vocab_size", vocab_size);
  positive("hidden_size", hidden_size);
  positive("intermediate_size", intermediate_size);
  positive("num_hidden_layers", num_layers);
  positive("num_attention_heads", num_heads);
  positive("num_key_value_heads", num_kv_heads);
  positive("seq_length", seq_length);
  if (!out.empty()) return out;
  if (hidden_size % num_heads != 0)
    out.push_back({"hidden_size", std::to_string(hidden_size),
                   "not divisible by num_attention_heads = " + std::to_string(num_heads) +
                       ": pick sizes with hidden_size % num_attention_heads == 0"});
  else if (head_dim() % 2 != 0)
    out.push_back({"hidden_size", std::to_string(hidden_size),
                   "gives an odd head dimension " + std::to_string(head_dim()) +
                       " (hidden_size / num_attention_heads): RoPE rotates pairs, make it even"});
  // Ranges that keep fp32 finite: an eps below 1e-12 makes 1/rms overflow on a zero row
  // (and RMSNorm's backward cubes it); a RoPE base below 1 gives frequencies above 1
  // that overflow for tiny bases (0 * inf = NaN at position 0).
  if (!(rms_norm_eps >= 1e-12f && rms_norm_eps <= 1.0f))
    out.push_back({"rms_norm_eps", show(rms_norm_eps), "must be from 1e-12 to 1 (Llama uses 1e-5 or 1e-6)"});
  if (!(rope_theta >= 1.0f && rope_theta <= 1e12f))
    out.push_back({"rope_theta", show(rope_theta), "must be from 1 to 1e12 (Llama uses 10000 or 500000)"});
  if (num_heads % num_kv_heads != 0)
    out.push_back({"num_key_value_heads", std::to_string(num_kv_heads),
                   "num_attention_heads = " + std::to_string(num_heads) +
                       " is not a multiple of it: grouped-query attention needs whole groups"});
  return out;
}

ParameterLayout::ParameterLayout(const ModelShape& s) {
  const size_t C = s.hidden_size, F = s.intermediate_size, V = s.vocab_size, KV = s.kv_dim();
  auto take = [&](size_t n) { size_t at = total; total += n; return at; };
  tok_emb = take(V * C);
  for (int l = 0; l < s.num_layers; ++l) {
    Layer L{};
    L.attn_norm = take(C);
    L.wq = take(C * C);
    L.wk = take(C * KV);
    L.wv = take(C * KV);
    L.wo = take(C * C);
    L.ffn_norm = take(C);
    L.w1 = take(C * F);
    L.w3 = take(C * F);
    L.w2 = take(F * C);
    layers.push_back(L);
  }
  final_norm = take(C);
  lm_head = take(C * V);
}

Llama::Llama(const ModelShape& shape, int micro_batch)
    : shape_(shape),
      B_(micro_batch),
      dims_{shape.seq_length, shape.hidden_size, shape.intermediate_size, shape.vocab_size,
            shape.num_heads, shape.num_kv_heads, shape.head_dim()},
      threads_(kernel_threads()),
      layout_(shape),
      params_(layout_.total),
      grads_(layout_.total) {
  const size_t N = static_cast<size_t>(B_) * shape.seq_length, C = shape.hidden_size, F = shape.intermediate_size,
               KV = shape.kv_dim(), T = shape.seq_length, half = shape.head_dim() / 2;
  acts_.resize(shape.num_layers);
  for (auto& a : acts_) {
    a.x_in.resize(N * C), a.xn.resize(N * C), a.rstd1.resize(N), a.q.resize(N * C), a.k.resize(N * KV);
    a.v.resize(N * KV), a.lse.resize(static_cast<size_t>(B_) * shape.num_heads * T), a.attn_out.resize(N * C);
    a.x_mid.resize(N * C), a.xn2.resize(N * C), a.rstd2.resize(N), a.h1.resize(N * F), a.h3.resize(N * F);
    a.gate.resize(N * F);
  }
  x_final.resize(N * C), xf.resize(N * C), rstdf.resize(N), probs.resize(N * shape.vocab_size);
  // RoPE angles in double: t * theta^(-2i/HS) loses digits in fp32 at long sequences.
  rope_cos_.resize(T * half), rope_sin_.resize(T * half);
  for (size_t t = 0; t < T; ++t)
    for (size_t i = 0; i < half; ++i) {
      const double angle = t * std::pow(static_cast<double>(shape.rope_theta), -2.0 * i / shape.head_dim());
      rope_cos_[t * half + i] = static_cast<float>(std::cos(angle));
      rope_sin_[t * half + i] = static_cast<float>(std::sin(angle));
    }
  auto& w = scratch_;
  w.tmp.resize(N * C), w.row_loss.resize(N), w.attention.resize(threads_ * kernels::attention_scratch_floats(dims_));
  w.dx.resize(N * C), w.dnorm.resize(N * C), w.dq.resize(N * C), w.dk.resize(N * KV), w.dv.resize(N * KV);
  w.dattn.resize(N * C), w.dgate.resize(N * F), w.dh1.resize(N * F), w.dh3.resize(N * F);
  tokens_.resize(N), targets_.resize(N);
}

void Llama::init(unsigned long long seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0.0f, 0.02f);
  const float out_scale = 1.0f / std::sqrt(2.0f * shape_.num_layers);
  auto fill = [&](size_t at, size_t n, float scale) {
    for (size_t i = 0; i < n; ++i) params_[at + i] = normal(rng) * scale;
  };
  auto ones = [&](size_t at) { std::fill_n(params_.begin() + at, shape_.hidden_size, 1.0f); };
  const size_t C = shape_.hidden_size, F = shape_.intermediate_size, V = shape_.vocab_size, KV = shape_.kv_dim();
  fill(layout_.tok_emb, V * C, 1.0f);
  for (const auto& L : layout_.layers) {
    ones(L.attn_norm), ones(L.ffn_norm);
    fill(L.wq, C * C, 1.0f), fill(L.wk, C * KV, 1.0f), fill(L.wv, C * KV, 1.0f), fill(L.wo, C * C, out_scale);
    fill(L.w1, C * F, 1.0f), fill(L.w3, C * F, 1.0f), fill(L.w2, F * C, out_scale);
  }
  ones(layout_.final_norm);
  fill(layout_.lm_head, C * V, 1.0f);
}

// On the whole team: one thread clearing the gradients (every parameter, 128 MB at the
// bench's shape) kept the others waiting at their next barrier for it.
void Llama::zero_grad() {
  float* g = grads_.data();
  for_blocks(grads_.size(), [g](size_t begin, size_t count) { std::fill_n(g + begin, count, 0.0f); });
}

float Llama::forward(const int* tokens, const int* targets) {
  const auto& s = shape_;
  const int T = s.seq_length, C = s.hidden_size, F = s.intermediate_size, KV = s.kv_dim();
  const int N = B_ * T;
  const float* P = params_.data();
  const KernelTable& K = kernels_;
  std::copy_n(tokens, N, tokens_.begin());
  std::copy_n(targets, N, targets_.begin());
  float* tmp = scratch_.tmp.data();  // the output of each residual branch, added by the next norm

  embedding_forward(acts_[0].x_in.data(), tokens, P + layout_.tok_emb, N, C);
  for (int l = 0; l < s.num_layers; ++l) {
    auto& a = acts_[l];
    const auto& L = layout_.layers[l];
    // x_in = x_mid of the layer before + its MLP branch (tmp), fused into the norm.
    const float* prev = l > 0 ? acts_[l - 1].x_mid.data() : a.x_in.data();
    K.rmsnorm_forward(&dims_, a.xn.data(), a.rstd1.data(), a.x_in.data(), prev, l > 0 ? tmp : nullptr,
                      P + L.attn_norm, N, s.rms_norm_eps);
    matmul_forward(a.q.data(), a.xn.data(), P + L.wq, N, C, C);
    matmul_forward(a.k.data(), a.xn.data(), P + L.wk, N, C, KV);
    matmul_forward(a.v.data(), a.xn.data(), P + L.wv, N, C, KV);
    K.rope_forward(&dims_, a.q.data(), rope_cos_.data(), rope_sin_.data(), B_, s.num_heads);
    K.rope_forward(&dims_, a.k.data(), rope_cos_.data(), rope_sin_.data(), B_, s.num_kv_heads);
    K.attention_forward(&dims_, a.attn_out.data(), a.lse.data(), a.q.data(), a.k.data(), a.v.data(), B_,
                        scratch_.attention.data(), threads_);
    matmul_forward(tmp, a.attn_out.data(), P + L.wo, N, C, C);
    K.rmsnorm_forward(&dims_, a.xn2.data(), a.rstd2.data(), a.x_mid.data(), a.x_in.data(), tmp, P + L.ffn_norm, N,
                      s.rms_norm_eps);
    matmul_forward(a.h1.data(), a.xn2.data(), P + L.w1, N, C, F);
    matmul_forward(a.h3.data(), a.xn2.data(), P + L.w3, N, C, F);
    K.swiglu_forward(&dims_, a.gate.data(), a.h1.data(), a.h3.data(), N);
    matmul_forward(tmp, a.gate.data(), P + L.w2, N, F, C);
  }
  K.rmsnorm_forward(&dims_, xf.data(), rstdf.data(), x_final.data(), acts_.back().x_mid.data(), tmp,
                    P + layout_.final_norm, N, s.rms_norm_eps);
  matmul_forward(probs.data(), xf.data(), P + layout_.lm_head, N, C, s.vocab_size);
  return K.crossentropy_forward(&dims_, probs.data(), scratch_.row_loss.data(), targets, N);
}

void Llama::backward(float loss_scale) {
  const auto& s = shape_;
  const int T = s.seq_length, C = s.hidden_size, F = s.intermediate_size, KV = s.kv_dim();
  const int N = B_ * T, V = s.vocab_size;
  const float* P = params_.data();
  float* G = grads_.data();
  const KernelTable& K = kernels_;

  auto& w = scratch_;
  std::vector<float>&dlogits = probs, &dx = w.dx, &dnorm = w.dnorm, &dq = w.dq, &dk = w.dk, &dv = w.dv;
  std::vector<float>&dattn = w.dattn, &dgate = w.dgate, &dh1 = w.dh1, &dh3 = w.dh3;
  std::fill(dx.begin(), dx.end(), 0.0f);
  K.crossentropy_backward(&dims_, dlogits.data(), targets_.data(), N, loss_scale / N);
  matmul_backward(dnorm.data(), G + layout_.lm_head, dlogits.data(), xf.data(), P + layout_.lm_head, N, C, V, true);
  K.rmsnorm_backward(&dims_, dx.data(), G + layout_.final_norm, dnorm.data(), x_final.data(),
                     P + layout_.final_norm, rstdf.data(), N);
  auto ready = [&](size_t begin, size_t end) {
    if (grads_ready_) grads_ready_(begin, end);
  };
  ready(layout_.final_norm, layout_.total);

  for (int l = s.num_layers - 1; l >= 0; --l) {
    auto& a = acts_[l];
    const auto& L = layout_.layers[l];
    // MLP branch: x_out = x_mid + swiglu(xn2 W1, xn2 W3) W2; dx already holds d(x_out) = residual part of d(x_mid).
    // The first writer of each scratch buffer overwrites it (no zeroing passes).
    matmul_backward(dgate.data(), G + L.w2, dx.data(), a.gate.data(), P + L.w2, N, F, C, true);
    K.swiglu_backward(&dims_, dh1.data(), dh3.data(), dgate.data(), a.h1.data(), a.h3.data(), N);
    matmul_backward(dnorm.data(), G + L.w1, dh1.data(), a.xn2.data(), P + L.w1, N, C, F, true);
    matmul_backward(dnorm.data(), G + L.w3, dh3.data(), a.xn2.data(), P + L.w3, N, C, F);
    K.rmsnorm_backward(&dims_, dx.data(), G + L.ffn_norm, dnorm.data(), a.x_mid.data(), P + L.ffn_norm,
                       a.rstd2.data(), N);
    // Attention branch: x_mid = x_in + attn(rope(xn Wq), rope(xn Wk), xn Wv) Wo.
    matmul_backward(dattn.data(), G + L.wo, dx.data(), a.attn_out.data(), P + L.wo, N, C, C, true);
    K.attention_backward(&dims_, dq.data(), dk.data(), dv.data(), dattn.data(), a.attn_out.data(), a.lse.data(),
                         a.q.data(), a.k.data(), a.v.data(), B_, scratch_.attention.data(), threads_);
    K.rope_backward(&dims_, dq.data(), rope_cos_.data(), rope_sin_.data(), B_, s.num_heads);
    K.rope_backward(&dims_, dk.data(), rope_cos_.data(), rope_sin_.data(), B_, s.num_kv_heads);
    matmul_backward(dnorm.data(), G + L.wq, dq.data(), a.xn.data(), P + L.wq, N, C, C, true);
    matmul_backward(dnorm.data(), G + L.wk, dk.data(), a.xn.data(), P + L.wk, N, C, KV);
    matmul_backward(dnorm.data(), G + L.wv, dv.data(), a.xn.data(), P + L.wv, N, C, KV);
    K.rmsnorm_backward(&dims_, dx.data(), G + L.attn_norm, dnorm.data(), a.x_in.data(), P + L.attn_norm,
                       a.rstd1.data(), N);
    ready(L.attn_norm, l + 1 < s.num_layers ? layout_.layers[l + 1].attn_norm : layout_.final_norm);
  }
  embedding_backward(G + layout_.tok_emb, dx.data(), tokens_.data(), N, C);
  ready(layout_.tok_emb, s.num_layers > 0 ? layout_.layers[0].attn_norm : layout_.final_norm);
}

}  // namespace trn::native
