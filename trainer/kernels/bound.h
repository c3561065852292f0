// The kernels' entry points, each signature written once: the model's kernel table
// (trainer/model/layers.h) holds pointers to Bound<RuntimeDims>::*, a compiled graph
// exports a pointer to Bound<its Dims>::<its kind> (trainer/model/native_graphs.cc).
// Every entry takes the model's run-time sizes first; a graph ignores them.
#pragma once

#include "trainer/kernels/attention.h"
#include "trainer/kernels/common.h"
#include "trainer/kernels/crossentropy.h"
#include "trainer/kernels/rmsnorm.h"
#include "trainer/kernels/rope.h"
#include "trainer/kernels/swiglu.h"

namespace trn::native::kernels {

template <typename D>
struct Bound {
  static D dims(const RuntimeDims* run) {
    if constexpr (std::is_same_v<D, RuntimeDims>)
      return *run;
    else
      return D{};
  }
  static void rmsnorm_forward(const RuntimeDims* r, float* out, float* rstd, float* sum, const float* x,
                              const float* residual, const float* weight, int N, float eps) {
    kernels::rmsnorm_forward(dims(r), out, rstd, sum, x, residual, weight, N, eps);
  }
  static void rmsnorm_backward(const RuntimeDims* r, float* dx, float* dweight, const float* dout, const float* x,
                               const float* weight, const float* rstd, int N) {
    kernels::rmsnorm_backward(dims(r), dx, dweight, dout, x, weight, rstd, N);
  }
  static void rope_forward(const RuntimeDims* r, float* x, const float* cos_table, const float* sin_table, int B,
                           int H) {
    kernels::rope_forward(dims(r), x, cos_table, sin_table, B, H);
  }
  static void rope_backward(const RuntimeDims* r, float* dx, const float* cos_table, const float* sin_table, int B,
                            int H) {
    kernels::rope_backward(dims(r), dx, cos_table, sin_table, B, H);
  }
  static void attention_forward(const RuntimeDims* r, float* out, float* lse, const float* q, const float* k,
                                const float* v, int B, float* scratch, int threads) {
    kernels::attention_forward(dims(r), out, lse, q, k, v, B, scratch, threads);
  }
  static void attention_backward(const RuntimeDims* r, float* dq, float* dk, float* dv, const float* dout,
                                 const float* out, const float* lse, const float* q, const float* k, const float* v,
                                 int B, float* scratch, int threads) {
    kernels::attention_backward(dims(r), dq, dk, dv, dout, out, lse, q, k, v, B, scratch, threads);
  }
  static void swiglu_forward(const RuntimeDims* r, float* out, const float* a, const float* b, int N) {
    kernels::swiglu_forward(dims(r), out, a, b, N);
  }
  static void swiglu_backward(const RuntimeDims* r, float* da, float* db, const float* dout, const float* a,
                              const float* b, int N) {
    kernels::swiglu_backward(dims(r), da, db, dout, a, b, N);
  }
  static float crossentropy_forward(const RuntimeDims* r, float* logits, float* row_loss, const int* targets, int N) {
    return kernels::crossentropy_forward(dims(r), logits, row_loss, targets, N);
  }
  static void crossentropy_backward(const RuntimeDims* r, float* probs, const int* targets, int N, float scale) {
    kernels::crossentropy_backward(dims(r), probs, targets, N, scale);
  }
};

}  // namespace trn::native::kernels
