// Causal grouped-query attention without the T x T probability matrix (flash-style):
// the forward walks key tiles with an online softmax and keeps only the output and
// each row's log-sum-exp; the backward recomputes the probabilities tile by tile
// from q, k and that log-sum-exp. Query head h reads key/value head h / (NH/NKV).
// q[B,T,NH,HS], k/v[B,T,NKV,HS], out[B,T,NH,HS], lse[B,NH,T].
#pragma once

#include "trainer/kernels/common.h"

namespace trn::native::kernels {

constexpr int kQueryTile = 16, kKeyTile = 64;

// Floats of scratch one thread needs (the caller sizes it once per thread).
template <typename D>
size_t attention_scratch_floats(const D& d) {
  return static_cast<size_t>(kQueryTile) * (kKeyTile + d.HS + 2);
}

template <typename D>
__attribute__((always_inline)) inline float dot(const D& d, const float* a, const float* b) {
  const int HS = d.HS;
  float s = 0.0f;
#pragma omp simd reduction(+ : s)
  for (int i = 0; i < HS; ++i) s += a[i] * b[i];
  return s;
}

// Work items are (b, h, query tile), the costliest (last) tiles handed out first;
// each writes only its own rows of out and lse.
template <typename D>
void attention_forward(const D& d, float* out, float* lse, const float* q, const float* k, const float* v, int B,
                       float* scratch, int threads) {
  const int T = d.T, NH = d.NH, NKV = d.NKV, HS = d.HS, group = d.NH / d.NKV;
  const float scale = 1.0f / std::sqrt(static_cast<float>(HS));
  const int tiles = (T + kQueryTile - 1) / kQueryTile;
  const size_t per_thread = attention_scratch_floats(d);
#pragma omp parallel for schedule(dynamic) num_threads(threads) if (worth_threads(at(B * NH, T) * T * HS / 2))
  for (int item = 0; item < B * NH * tiles; ++item) {
    const int b = item / (NH * tiles), h = item / tiles % NH, t0 = (tiles - 1 - item % tiles) * kQueryTile;
    const int t1 = std::min(T, t0 + kQueryTile), kvh = h / group;
    float* s = scratch + thread_index() * per_thread;  // [kQueryTile][kKeyTile] scores
    float* acc = s + kQueryTile * kKeyTile;             // [kQueryTile][HS] unnormalised output
    float *m = acc + kQueryTile * HS, *l = m + kQueryTile;  // running max and sum of exp
    std::fill(acc, acc + (t1 - t0) * HS, 0.0f);
    std::fill(m, m + kQueryTile, -INFINITY);
    std::fill(l, l + kQueryTile, 0.0f);
    for (int s0 = 0; s0 < t1; s0 += kKeyTile) {
      const int s1 = std::min(t1, s0 + kKeyTile);
      for (int t = std::max(t0, s0); t < t1; ++t) {  // rows before s0 see none of this tile
        const int i = t - t0, end = std::min(s1, t + 1);
        const float* qt = q + (at(b * T + t, NH) + h) * HS;
        float* si = s + i * kKeyTile;
        float mx = m[i];
        for (int j = s0; j < end; ++j) {
          si[j - s0] = dot(d, qt, k + (at(b * T + j, NKV) + kvh) * HS) * scale;
          mx = std::max(mx, si[j - s0]);
        }
        const float correction = std::exp(m[i] - mx);
        float* ai = acc + i * HS;
        float sum = l[i] * correction;
        for (int c = 0; c < HS; ++c) ai[c] *= correction;
        for (int j = s0; j < end; ++j) {
          const float p = std::exp(si[j - s0] - mx);
          const float* vj = v + (at(b * T + j, NKV) + kvh) * HS;
          sum += p;
#pragma omp simd
          for (int c = 0; c < HS; ++c) ai[c] += p * vj[c];
        }
        m[i] = mx, l[i] = sum;
      }
    }
    for (int t = t0; t < t1; ++t) {
      const int i = t - t0;
      float* ot = out + (at(b * T + t, NH) + h) * HS;
      const float inv = 1.0f / l[i];
      for (int c = 0; c < HS; ++c) ot[c] = acc[i * HS + c] * inv;
      lse[at(b * NH + h, T) + t] = m[i] + std::log(l[i]);
    }
  }
}

// Writes dq, dk, dv (each item zeroes its own rows first). Work items are (b, kv head): the item owns dk and dv of
// its key/value head and dq of the query heads that read it, so no two threads write
// the same value and every sum runs in the same order whatever the thread count.
// P = exp(q.k * scale - lse); dP = dout.v; dS = P * (dP - D) with D = rowsum(dout * out).
template <typename D>
void attention_backward(const D& d, float* dq, float* dk, float* dv, const float* dout, const float* out,
                        const float* lse, const float* q, const float* k, const float* v, int B, float* scratch,
                        int threads) {
  const int T = d.T, NH = d.NH, NKV = d.NKV, HS = d.HS, group = d.NH / d.NKV;
  const float scale = 1.0f / std::sqrt(static_cast<float>(HS));
  const size_t per_thread = attention_scratch_floats(d);
#pragma omp parallel for schedule(dynamic) num_threads(threads) if (worth_threads(at(B * NH, T) * T * HS / 2))
  for (int item = 0; item < B * NKV; ++item) {
    const int b = item / NKV, kvh = item % NKV;
    float* rowsum = scratch + thread_index() * per_thread;  // D of the query tile
    for (int t = 0; t < T; ++t) {
      std::fill_n(dk + (at(b * T + t, NKV) + kvh) * HS, HS, 0.0f);
      std::fill_n(dv + (at(b * T + t, NKV) + kvh) * HS, HS, 0.0f);
      std::fill_n(dq + (at(b * T + t, NH) + kvh * group) * HS, group * HS, 0.0f);
    }
    for (int h = kvh * group; h < (kvh + 1) * group; ++h)
      for (int t0 = 0; t0 < T; t0 += kQueryTile) {
        const int t1 = std::min(T, t0 + kQueryTile);
        for (int t = t0; t < t1; ++t) {
          const size_t row = (at(b * T + t, NH) + h) * HS;
          rowsum[t - t0] = dot(d, dout + row, out + row);
        }
        for (int s0 = 0; s0 < t1; s0 += kKeyTile) {
          const int s1 = std::min(t1, s0 + kKeyTile);
          for (int t = std::max(t0, s0); t < t1; ++t) {
            const size_t row = (at(b * T + t, NH) + h) * HS;
            const float *qt = q + row, *gt = dout + row, l = lse[at(b * NH + h, T) + t], D_t = rowsum[t - t0];
            float* dqt = dq + row;
            for (int j = s0, end = std::min(s1, t + 1); j < end; ++j) {
              const size_t kv = (at(b * T + j, NKV) + kvh) * HS;
              const float p = std::exp(dot(d, qt, k + kv) * scale - l);
              const float ds = p * (dot(d, gt, v + kv) - D_t) * scale;
              const float* kj = k + kv;
              float *dkj = dk + kv, *dvj = dv + kv;
#pragma omp simd
              for (int c = 0; c < HS; ++c) {
                dvj[c] += p * gt[c];
                dqt[c] += ds * kj[c];
                dkj[c] += ds * qt[c];
              }
            }
          }
        }
      }
  }
}

}  // namespace trn::native::kernels
