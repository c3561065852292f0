// The native engine's layers: one forward and one backward function per layer kind,
// on explicit float buffers (llm.c style). Shapes are row-major; N = rows (batch x
// time), C = channels. Every backward ACCUMULATES (+=) into its gradient outputs so
// residual branches and weight gradients over micro-batches add up naturally.
#pragma once

#include <cstddef>

namespace trn::native {

// out[N,OC] = in[N,IC] @ w[IC,OC]  (OpenBLAS sgemm)
void matmul_forward(float* out, const float* in, const float* w, int N, int IC, int OC);
// din[N,IC] += dout @ w^T ; dw[IC,OC] += in^T @ dout
void matmul_backward(float* din, float* dw, const float* dout, const float* in, const float* w, int N, int IC,
                     int OC);

// out = x / rms(x) * weight, per row; rstd[N] saved for backward.
void rmsnorm_forward(float* out, float* rstd, const float* x, const float* weight, int N, int C, float eps);
void rmsnorm_backward(float* dx, float* dweight, const float* dout, const float* x, const float* weight,
                      const float* rstd, int N, int C);

// Rotary position embedding, in place, on [B,T,H,HS] (pairs (2i, 2i+1) rotated by pos*theta^(-2i/HS)).
// The rotation is orthogonal, so the backward is the inverse rotation of the gradient.
void rope_forward(float* x, int B, int T, int H, int HS, float theta);
void rope_backward(float* dx, int B, int T, int H, int HS, float theta);

// Causal grouped-query attention. q[B,T,NH,HS], k/v[B,T,NKV,HS] -> out[B,T,NH,HS];
// att[B,NH,T,T] keeps the softmax probabilities for backward. Query head h reads
// key/value head h / (NH/NKV).
void attention_forward(float* out, float* att, const float* q, const float* k, const float* v, int B, int T, int NH,
                       int NKV, int HS);
void attention_backward(float* dq, float* dk, float* dv, const float* dout, const float* att, const float* q,
                        const float* k, const float* v, int B, int T, int NH, int NKV, int HS);

// SwiGLU gate: out = silu(a) * b, elementwise over n values.
void swiglu_forward(float* out, const float* a, const float* b, size_t n);
void swiglu_backward(float* da, float* db, const float* dout, const float* a, const float* b, size_t n);

// Mean cross-entropy of logits[N,V] against targets[N]; overwrites logits with
// softmax probabilities and returns the loss. Backward writes dlogits (scaled by `scale`).
float crossentropy_forward(float* logits, const int* targets, int N, int V);
void crossentropy_backward(float* dlogits, const float* probs, const int* targets, int N, int V, float scale);

// Embedding lookup: out[N,C] = table[tokens[n]]; backward scatters into dtable.
void embedding_forward(float* out, const int* tokens, const float* table, int N, int C);
void embedding_backward(float* dtable, const float* dout, const int* tokens, int N, int C);

}  // namespace trn::native
