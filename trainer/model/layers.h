// The native engine's layers, on explicit float buffers (llm.c style). Shapes are
// row-major; N = rows (batch x time), C = channels. Every backward ACCUMULATES (+=)
// into its gradient outputs so residual branches and weight gradients over
// micro-batches add up naturally; the exceptions, which write, say so (they are the
// first writer of a buffer, which saves a zeroing pass over it).
//
// GEMM (OpenBLAS) and the embedding live here; every other layer kind is a kernel
// template in trainer/kernels/, called through a KernelTable so a graph compiled for
// the model's exact shape (trainer/model/native_graphs.h) can take its place.
#pragma once

#include <cstddef>

#include "trainer/kernels/bound.h"

namespace trn::native {

// out[N,OC] = in[N,IC] @ w[IC,OC]  (OpenBLAS sgemm, rows split across the threads)
void matmul_forward(float* out, const float* in, const float* w, int N, int IC, int OC);
// din[N,IC] += dout @ w^T (rows split; = with overwrite_din); dw[IC,OC] += in^T @ dout (dw's rows split)
void matmul_backward(float* din, float* dw, const float* dout, const float* in, const float* w, int N, int IC,
                     int OC, bool overwrite_din = false);

// Embedding lookup: out[N,C] = table[tokens[n]]; backward scatters into dtable
// (channel blocks split across threads, so repeated tokens never race).
void embedding_forward(float* out, const int* tokens, const float* table, int N, int C);
void embedding_backward(float* dtable, const float* dout, const int* tokens, int N, int C);

// One entry per layer kind x pass (signatures in trainer/kernels/bound.h). Default:
// the generic run-time-sized kernels.
struct KernelTable {
  using Generic = kernels::Bound<kernels::RuntimeDims>;
  decltype(&Generic::rmsnorm_forward) rmsnorm_forward = &Generic::rmsnorm_forward;
  decltype(&Generic::rmsnorm_backward) rmsnorm_backward = &Generic::rmsnorm_backward;
  decltype(&Generic::rope_forward) rope_forward = &Generic::rope_forward;
  decltype(&Generic::rope_backward) rope_backward = &Generic::rope_backward;
  decltype(&Generic::attention_forward) attention_forward = &Generic::attention_forward;
  decltype(&Generic::attention_backward) attention_backward = &Generic::attention_backward;
  decltype(&Generic::swiglu_forward) swiglu_forward = &Generic::swiglu_forward;
  decltype(&Generic::swiglu_backward) swiglu_backward = &Generic::swiglu_backward;
  decltype(&Generic::crossentropy_forward) crossentropy_forward = &Generic::crossentropy_forward;
  decltype(&Generic::crossentropy_backward) crossentropy_backward = &Generic::crossentropy_backward;
};

}  // namespace trn::native
