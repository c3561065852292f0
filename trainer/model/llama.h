// A Llama-architecture decoder trained in fp32 on the CPU: token embedding, L blocks
// of (RMSNorm -> GQA attention with RoPE -> residual, RMSNorm -> SwiGLU MLP ->
// residual), final RMSNorm, untied LM head. Parameters and their gradients live in
// one flat buffer each, so the optimizer, the data-parallel all-reduce and the
// checkpoint all see a single array.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "common/problem.h"
#include "trainer/model/layers.h"

namespace trn::native {

struct ModelShape {
  int vocab_size = 0;
  int hidden_size = 0;        // C
  int intermediate_size = 0;  // F (SwiGLU hidden)
  int num_layers = 0;         // L
  int num_heads = 0;          // NH
  int num_kv_heads = 0;       // NKV (grouped-query attention)
  int seq_length = 0;         // T
  float rms_norm_eps = 1e-5f;
  float rope_theta = 10000.0f;

  int head_dim() const { return hidden_size / num_heads; }
  int kv_dim() const { return num_kv_heads * head_dim(); }
  // Empty when the shape is usable. Keys are the HF config.json names (hidden_size,
  // num_key_value_heads, ...; seq_length); callers say where each value came from.
  Problems problems() const;
};

// Offsets of each tensor inside the flat parameter buffer.
struct ParameterLayout {
  struct Layer {
    size_t attn_norm, wq, wk, wv, wo, ffn_norm, w1, w3, w2;
  };
  size_t tok_emb = 0, final_norm = 0, lm_head = 0;
  std::vector<Layer> layers;
  size_t total = 0;
  explicit ParameterLayout(const ModelShape& s);
};

class Llama {
 public:
  Llama(const ModelShape& shape, int micro_batch);

  const ModelShape& shape() const { return shape_; }
  const ParameterLayout& layout() const { return layout_; }
  std::vector<float>& params() { return params_; }
  std::vector<float>& grads() { return grads_; }

  // Deterministic init from `seed`: N(0, 0.02) weights, ones for norms, output
  // projections scaled by 1/sqrt(2L) as in GPT-2/llm.c.
  void init(unsigned long long seed);
  // tokens/targets: [micro_batch, seq_length]. Returns the mean loss.
  float forward(const int* tokens, const int* targets);
  // After forward(): the next-token probabilities (softmax of the logits, vocab_size
  // of them) at position `t` of row `b`. The generate mode samples from these; the
  // causal mask makes them independent of the tokens after t.
  const float* next_token_probs(int b, int t) const {
    return probs.data() + (static_cast<size_t>(b) * shape_.seq_length + t) * shape_.vocab_size;
  }
  // Accumulates d(loss * loss_scale)/d(params) into grads(); call after forward().
  void backward(float loss_scale);
  void zero_grad();
  // The generic kernels unless the graphs compiled for this shape are given
  // (trainer/model/native_graphs.h).
  void use_kernels(const KernelTable& k) { kernels_ = k; }
  // Called by backward() each time a contiguous range [begin, end) of grads() is
  // final for this micro-batch, in the order backward finishes them (LM head and
  // final norm, then layer L-1 down to 0, then the embedding), so a data-parallel
  // reduction of that range can start while earlier layers still run.
  using GradsReady = std::function<void(size_t begin, size_t end)>;
  void on_grads_ready(GradsReady f) { grads_ready_ = std::move(f); }

 private:
  KernelTable kernels_;
  GradsReady grads_ready_;
  ModelShape shape_;
  int B_;
  kernels::RuntimeDims dims_;
  int threads_;  // trainer/model/threads.h
  ParameterLayout layout_;
  std::vector<float> params_, grads_;
  // Saved activations per layer (explicit buffers, sized once). Attention keeps its
  // output and the per-row log-sum-exp lse[B,NH,T], never the T x T probabilities.
  struct LayerActs {
    std::vector<float> x_in, xn, rstd1, q, k, v, lse, attn_out, x_mid, xn2, rstd2, h1, h3, gate;
  };
  std::vector<LayerActs> acts_;
  // probs: the logits, then their softmax, then (backward, in place) d(loss)/d(logits).
  std::vector<float> x_final, xf, rstdf, probs;
  std::vector<float> rope_cos_, rope_sin_;  // [T, HS/2], computed once
  // Scratch for one forward/backward, sized once: no allocation per micro-batch.
  struct Scratch {
    std::vector<float> tmp, row_loss, attention, dx, dnorm, dq, dk, dv, dattn, dgate, dh1, dh3;
  } scratch_;
  std::vector<int> tokens_, targets_;
};

}  // namespace trn::native
