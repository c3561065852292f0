// Causal grouped-query attention, forward and backward, written once over a
// "Dims" type. The trainer instantiates it with run-time sizes (RuntimeDims) as
// the always-available path; the compile step instantiates it with compile-time
// sizes (FixedDims, one graph per model shape), which lets the host compiler
// unroll and vectorise the head-dimension loops. This file is also the source
// text of those graphs (embedded into trn-train-native at build time), so it
// includes nothing but the C++ standard library.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

namespace trn::native::kernels {

struct RuntimeDims {
  int T, NH, NKV, HS;
};

template <int kT, int kNH, int kNKV, int kHS>
struct FixedDims {
  static constexpr int T = kT, NH = kNH, NKV = kNKV, HS = kHS;
};

// q[B,T,NH,HS], k/v[B,T,NKV,HS] -> out[B,T,NH,HS]; att[B,NH,T,T] keeps the softmax.
template <typename D>
void attention_forward(const D& d, float* out, float* att, const float* q, const float* k, const float* v, int B) {
  const int T = d.T, NH = d.NH, NKV = d.NKV, HS = d.HS;
  const int group = NH / NKV;
  const float scale = 1.0f / std::sqrt(static_cast<float>(HS));
  for (int b = 0; b < B; ++b)
    for (int h = 0; h < NH; ++h) {
      const int kvh = h / group;
      for (int t = 0; t < T; ++t) {
        const float* qt = q + ((static_cast<size_t>(b) * T + t) * NH + h) * HS;
        float* arow = att + ((static_cast<size_t>(b) * NH + h) * T + t) * T;
        float maxv = -INFINITY;
        for (int s = 0; s <= t; ++s) {
          const float* ks = k + ((static_cast<size_t>(b) * T + s) * NKV + kvh) * HS;
          float dot = 0.0f;
          for (int i = 0; i < HS; ++i) dot += qt[i] * ks[i];
          arow[s] = dot * scale;
          maxv = std::max(maxv, arow[s]);
        }
        float sum = 0.0f;
        for (int s = 0; s <= t; ++s) sum += (arow[s] = std::exp(arow[s] - maxv));
        for (int s = 0; s <= t; ++s) arow[s] /= sum;
        for (int s = t + 1; s < T; ++s) arow[s] = 0.0f;  // causal mask
        float* ot = out + ((static_cast<size_t>(b) * T + t) * NH + h) * HS;
        std::fill(ot, ot + HS, 0.0f);
        for (int s = 0; s <= t; ++s) {
          const float* vs = v + ((static_cast<size_t>(b) * T + s) * NKV + kvh) * HS;
          for (int i = 0; i < HS; ++i) ot[i] += arow[s] * vs[i];
        }
      }
    }
}

// Accumulates into dq, dk, dv.
template <typename D>
void attention_backward(const D& d, float* dq, float* dk, float* dv, const float* dout, const float* att,
                        const float* q, const float* k, const float* v, int B) {
  const int T = d.T, NH = d.NH, NKV = d.NKV, HS = d.HS;
  const int group = NH / NKV;
  const float scale = 1.0f / std::sqrt(static_cast<float>(HS));
  std::vector<float> datt(static_cast<size_t>(T));
  for (int b = 0; b < B; ++b)
    for (int h = 0; h < NH; ++h) {
      const int kvh = h / group;
      for (int t = 0; t < T; ++t) {
        const size_t qrow = ((static_cast<size_t>(b) * T + t) * NH + h) * HS;
        const float* arow = att + ((static_cast<size_t>(b) * NH + h) * T + t) * T;
        const float* dot_ = dout + qrow;
        // through out = att @ v
        float weighted = 0.0f;
        for (int s = 0; s <= t; ++s) {
          const size_t kvrow = ((static_cast<size_t>(b) * T + s) * NKV + kvh) * HS;
          float dsum = 0.0f;
          for (int i = 0; i < HS; ++i) {
            dsum += dot_[i] * v[kvrow + i];
            dv[kvrow + i] += arow[s] * dot_[i];
          }
          datt[s] = dsum;
          weighted += arow[s] * dsum;
        }
        // through softmax, then the scaled dot product
        for (int s = 0; s <= t; ++s) {
          const size_t kvrow = ((static_cast<size_t>(b) * T + s) * NKV + kvh) * HS;
          const float dscore = arow[s] * (datt[s] - weighted) * scale;
          for (int i = 0; i < HS; ++i) {
            dq[qrow + i] += dscore * k[kvrow + i];
            dk[kvrow + i] += dscore * q[qrow + i];
          }
        }
      }
    }
}

}  // namespace trn::native::kernels
