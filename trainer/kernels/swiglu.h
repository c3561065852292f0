// SwiGLU gate: out = silu(a) * b, elementwise over [N, F].
#pragma once

#include "trainer/kernels/common.h"

namespace trn::native::kernels {

template <typename D>
void swiglu_forward(const D& d, float* out, const float* a, const float* b, int N) {
  const int F = d.F;
#pragma omp parallel for schedule(static) if (worth_threads(at(N, F)))
  for (int n = 0; n < N; ++n)
#pragma omp simd
    for (size_t i = at(n, F); i < at(n + 1, F); ++i) {
      const float sig = 1.0f / (1.0f + exp_simd(-a[i]));
      out[i] = a[i] * sig * b[i];
    }
}

// Writes da, db (their only writer in the model: no zeroing pass needed).
template <typename D>
void swiglu_backward(const D& d, float* da, float* db, const float* dout, const float* a, const float* b, int N) {
  const int F = d.F;
#pragma omp parallel for schedule(static) if (worth_threads(at(N, F)))
  for (int n = 0; n < N; ++n)
#pragma omp simd
    for (size_t i = at(n, F); i < at(n + 1, F); ++i) {
      const float sig = 1.0f / (1.0f + exp_simd(-a[i]));
      da[i] = dout[i] * b[i] * sig * (1.0f + a[i] * (1.0f - sig));
      db[i] = dout[i] * a[i] * sig;
    }
}

}  // namespace trn::native::kernels
