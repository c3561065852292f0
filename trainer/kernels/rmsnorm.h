// RMSNorm, with the residual add that precedes every norm in Llama fused in.
#pragma once

#include "trainer/kernels/common.h"

namespace trn::native::kernels {

// out = x / rms(x) * weight per row of C; rstd[N] saved for backward. With a
// residual, x + residual is first written to sum and normalised instead (one pass
// over memory instead of two).
template <typename D>
void rmsnorm_forward(const D& d, float* out, float* rstd, float* sum, const float* x, const float* residual,
                     const float* weight, int N, float eps) {
  const int C = d.C;
#pragma omp parallel for schedule(static) if (worth_threads(at(N, C)))
  for (int n = 0; n < N; ++n) {
    const float* src = x + at(n, C);
    if (residual) {
      float* s = sum + at(n, C);
      const float* r = residual + at(n, C);
      for (int c = 0; c < C; ++c) s[c] = src[c] + r[c];
      src = s;
    }
    float ss = 0.0f;
#pragma omp simd reduction(+ : ss)
    for (int c = 0; c < C; ++c) ss += src[c] * src[c];
    const float r = 1.0f / std::sqrt(ss / C + eps);
    float* o = out + at(n, C);
    for (int c = 0; c < C; ++c) o[c] = src[c] * r * weight[c];
    rstd[n] = r;
  }
}

// dx += d(x); dweight += d(weight). Rows in parallel for dx, then column blocks in
// parallel for dweight, so each dweight value sums its rows in order.
template <typename D>
void rmsnorm_backward(const D& d, float* dx, float* dweight, const float* dout, const float* x, const float* weight,
                      const float* rstd, int N) {
  const int C = d.C;
#pragma omp parallel for schedule(static) if (worth_threads(at(N, C)))
  for (int n = 0; n < N; ++n) {
    const float *g = dout + at(n, C), *xn = x + at(n, C);
    float* dxn = dx + at(n, C);
    const float r = rstd[n];
    float dot = 0.0f;  // sum_c dout*w*x: the part of the gradient that flows through rstd
#pragma omp simd reduction(+ : dot)
    for (int c = 0; c < C; ++c) dot += g[c] * weight[c] * xn[c];
    const float k = dot * r * r * r / C;
    for (int c = 0; c < C; ++c) dxn[c] += g[c] * weight[c] * r - xn[c] * k;
  }
  constexpr int kBlock = 64;
#pragma omp parallel for schedule(static) if (worth_threads(at(N, C)))
  for (int c0 = 0; c0 < C; c0 += kBlock) {
    const int c1 = std::min(C, c0 + kBlock);
    for (int n = 0; n < N; ++n) {
      const float *g = dout + at(n, C), *xn = x + at(n, C);
      const float r = rstd[n];
      for (int c = c0; c < c1; ++c) dweight[c] += g[c] * xn[c] * r;
    }
  }
}

}  // namespace trn::native::kernels
