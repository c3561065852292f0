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

// The attention kernels the model calls: the generic run-time-sized ones unless a
// graph compiled for this exact shape has been loaded (trainer/native_graphs).
struct AttentionKernels {
  using Forward = void (*)(float* out, float* att, const float* q, const float* k, const float* v, int B);
  using Backward = void (*)(float* dq, float* dk, float* dv, const float* dout, const float* att, const float* q,
                            const float* k, const float* v, int B);
  Forward forward = nullptr;
  Backward backward = nullptr;
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
  void use_attention_kernels(const AttentionKernels& k) { attention_ = k; }
  // Called by backward() each time a contiguous range [begin, end) of grads() is
  // final for this micro-batch, in the order backward finishes them (LM head and
  // final norm, then layer L-1 down to 0, then the embedding), so a data-parallel
  // reduction of that range can start while earlier layers still run.
  using GradsReady = std::function<void(size_t begin, size_t end)>;
  void on_grads_ready(GradsReady f) { grads_ready_ = std::move(f); }

 private:
  AttentionKernels attention_;
  GradsReady grads_ready_;
  ModelShape shape_;
  int B_;
  ParameterLayout layout_;
  std::vector<float> params_, grads_;
  // Saved activations per layer (explicit buffers, sized once).
  struct LayerActs {
    std::vector<float> x_in, xn, rstd1, q, k, v, att, attn_out, x_mid, xn2, rstd2, h1, h3, gate;
  };
  std::vector<LayerActs> acts_;
  std::vector<float> x_final, xf, rstdf, probs;
  // Scratch for one forward/backward, sized once: no allocation per micro-batch.
  struct Scratch {
    std::vector<float> tmp, dlogits, dx, dnorm, dq, dk, dv, dattn, dgate, dh1, dh3;
  } scratch_;
  std::vector<int> tokens_, targets_;
};

}  // namespace trn::native
