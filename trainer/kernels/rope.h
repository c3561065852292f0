// Rotary position embedding, in place on [B,T,H,HS]: pairs (2i, 2i+1) rotated by
// t * theta^(-2i/HS). The model computes the cos/sin tables [T, HS/2] once. The
// rotation is orthogonal, so the backward is the inverse rotation of the gradient.
#pragma once

#include "trainer/kernels/common.h"

namespace trn::native::kernels {

template <typename D>
void rope_rotate(const D& d, float* x, const float* cos_table, const float* sin_table, int B, int H, float sign) {
  const int T = d.T, HS = d.HS, half = d.HS / 2;
#pragma omp parallel for schedule(static) if (worth_threads(at(B * T, H) * HS))
  for (int bt = 0; bt < B * T; ++bt) {
    const int t = bt % T;
    const float *cs = cos_table + at(t, half), *sn = sin_table + at(t, half);
    for (int h = 0; h < H; ++h) {
      float* v = x + (at(bt, H) + h) * HS;
      for (int i = 0; i < half; ++i) {
        const float c = cs[i], s = sign * sn[i];
        const float x0 = v[2 * i], x1 = v[2 * i + 1];
        v[2 * i] = x0 * c - x1 * s;
        v[2 * i + 1] = x0 * s + x1 * c;
      }
    }
  }
}

template <typename D>
void rope_forward(const D& d, float* x, const float* cos_table, const float* sin_table, int B, int H) {
  rope_rotate(d, x, cos_table, sin_table, B, H, 1.0f);
}

template <typename D>
void rope_backward(const D& d, float* dx, const float* cos_table, const float* sin_table, int B, int H) {
  rope_rotate(d, dx, cos_table, sin_table, B, H, -1.0f);
}

}  // namespace trn::native::kernels
