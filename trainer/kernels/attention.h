// Causal grouped-query attention without the T x T probability matrix (flash-style):
// the forward walks key tiles with an online softmax and keeps only the output and
// each row's log-sum-exp; the backward recomputes the probabilities tile by tile
// from q, k and that log-sum-exp. Query head h reads key/value head h / (NH/NKV).
// q[B,T,NH,HS], k/v[B,T,NKV,HS], out[B,T,NH,HS], lse[B,NH,T].
#pragma once

#include "trainer/kernels/common.h"

namespace trn::native::kernels {

constexpr int kQueryTile = kLanes, kKeyTile = 64;
// The backward's block of query rows whose P and dS it holds at once (see there).
constexpr int kRowBlock = 8;

// Floats of scratch one thread needs (the caller sizes it once per thread): the
// forward's score tile and accumulators, or the backward's contiguous copies of a
// key tile's k and v, its dk and dv sums, a block of query rows' P and dS, and D of
// every query row of the item's heads.
template <typename D>
size_t attention_scratch_floats(const D& d) {
  const size_t forward = static_cast<size_t>(kMaxLanes) * (kKeyTile + 2 * d.HS);
  const size_t backward =
      static_cast<size_t>(kKeyTile) * (4 * d.HS + 2 * kRowBlock) + static_cast<size_t>(d.NH / d.NKV) * d.T;
  return std::max(forward, backward);
}

template <typename D>
__attribute__((always_inline)) inline float dot(const D& d, const float* a, const float* b) {
  const int HS = d.HS;
  float s = 0.0f;
#pragma omp simd reduction(+ : s)
  for (int i = 0; i < HS; ++i) s += a[i] * b[i];
  return s;
}

// The forward holds a query tile transposed, [HS][kQueryTile]: its rows are the
// lanes of one 16-float vector (Lanes), so each key's scores for the whole tile are
// one vector, sum_c k[c] * qT[c], built without a horizontal sum, and the softmax runs
// down the lanes. A key block's accumulators stay in registers over the c loop.
// (Row by row, a score was a 64-float dot product ending in a horizontal sum, and the
// output row went through memory for every key: 57 GFLOP/s at the bench shape on two
// AVX-512 threads, against 209 for sgemm.)

// scores[j] = sum_c k_j[c] * qT[c] for keys j < n (rows `stride` floats apart), kRegisterBlock at a time.
template <typename D>
__attribute__((always_inline)) inline void tile_scores(const D& d, float* scores, const float* qT, const float* k,
                                                       size_t stride, int n) {
  const int HS = d.HS;
  int j = 0;
  for (; j + kRegisterBlock <= n; j += kRegisterBlock) {
    Lanes acc[kRegisterBlock] = {};
    for (int c = 0; c < HS; ++c) {
      const Lanes qc = load_lanes(qT + at(c, kLanes));
      for (int r = 0; r < kRegisterBlock; ++r) acc[r] += k[(j + r) * stride + c] * qc;
    }
    for (int r = 0; r < kRegisterBlock; ++r) store_lanes(scores + at(j + r, kLanes), acc[r]);
  }
  for (; j < n; ++j) {
    Lanes acc = {};
    for (int c = 0; c < HS; ++c) acc += k[j * stride + c] * load_lanes(qT + at(c, kLanes));
    store_lanes(scores + at(j, kLanes), acc);
  }
}

// oT[c] = oT[c] * correction + sum_j v_j[c] * p[j] for c < HS, kRegisterBlock columns at a time.
template <typename D>
__attribute__((always_inline)) inline void tile_weighted_sum(const D& d, float* oT, const float* p,
                                                             const float* v, size_t stride, int n, Lanes correction) {
  const int HS = d.HS;
  int c = 0;
  for (; c + kRegisterBlock <= HS; c += kRegisterBlock) {
    Lanes acc[kRegisterBlock];
    for (int r = 0; r < kRegisterBlock; ++r) acc[r] = load_lanes(oT + at(c + r, kLanes)) * correction;
    for (int j = 0; j < n; ++j) {
      const Lanes pj = load_lanes(p + at(j, kLanes));
      for (int r = 0; r < kRegisterBlock; ++r) acc[r] += v[j * stride + c + r] * pj;
    }
    for (int r = 0; r < kRegisterBlock; ++r) store_lanes(oT + at(c + r, kLanes), acc[r]);
  }
  for (; c < HS; ++c) {
    Lanes acc = load_lanes(oT + at(c, kLanes)) * correction;
    for (int j = 0; j < n; ++j) acc += v[j * stride + c] * load_lanes(p + at(j, kLanes));
    store_lanes(oT + at(c, kLanes), acc);
  }
}

// Work items are (b, h, query tile), the costliest (last) tiles handed out first;
// each writes only its own rows of out and lse. Lanes past the tile's last row hold
// zeros and are never written out.
template <typename D>
void attention_forward(const D& d, float* out, float* lse, const float* q, const float* k, const float* v, int B,
                       float* scratch, int threads) {
  
  const int T = d.T, NH = d.NH, NKV = d.NKV, HS = d.HS, group = d.NH / d.NKV;
  const float scale = 1.0f / std::sqrt(static_cast<float>(HS));
  const int tiles = (T + kQueryTile - 1) / kQueryTile;
  const size_t per_thread = attention_scratch_floats(d), kv_stride = static_cast<size_t>(NKV) * HS;
#pragma omp parallel for schedule(dynamic) num_threads(threads) if (worth_threads(at(B * NH, T) * T * HS / 2))
  for (int item = 0; item < B * NH * tiles; ++item) {
    const int b = item / (NH * tiles), h = item / tiles % NH, t0 = (tiles - 1 - item % tiles) * kQueryTile;
    const int rows = std::min(T - t0, kQueryTile), kvh = h / group;
    float* qT = scratch + thread_index() * per_thread;  // [HS][kLanes] the tile's queries, times scale
    float* oT = qT + at(HS, kLanes);                       // [HS][kLanes] unnormalised output
    float* p = oT + at(HS, kLanes);                        // [kKeyTile][kLanes] scores, then exp
    std::fill_n(qT, at(HS, kLanes), 0.0f);
    std::fill_n(oT, at(HS, kLanes), 0.0f);
    for (int i = 0; i < rows; ++i)
      for (int c = 0; c < HS; ++c) qT[at(c, kLanes) + i] = q[(at(b * T + t0 + i, NH) + h) * HS + c] * scale;
    float m[kLanes], l[kLanes];  // each row's running max and sum of exp
    std::fill_n(m, kLanes, -INFINITY);
    std::fill_n(l, kLanes, 0.0f);
    for (int s0 = 0; s0 < t0 + rows; s0 += kKeyTile) {
      const int n = std::min(t0 + rows, s0 + kKeyTile) - s0;
      const size_t first = (at(b * T + s0, NKV) + kvh) * HS;
      tile_scores(d, p, qT, k + first, kv_stride, n);
      float mx[kLanes], correction[kLanes], sum[kLanes];
      std::copy_n(m, kLanes, mx);
      for (int j = 0; j < n; ++j) {
        float* pj = p + at(j, kLanes);
#pragma omp simd
        for (int i = 0; i < kLanes; ++i) {
          pj[i] = t0 + i < s0 + j ? -INFINITY : pj[i];  // causal: row t0+i sees keys up to itself
          mx[i] = std::max(mx[i], pj[i]);
        }
      }
#pragma omp simd
      for (int i = 0; i < kLanes; ++i) correction[i] = exp_simd(m[i] - mx[i]), sum[i] = 0.0f;  // 0 at first tile
      for (int j = 0; j < n; ++j) {
        float* pj = p + at(j, kLanes);
#pragma omp simd
        for (int i = 0; i < kLanes; ++i) sum[i] += (pj[i] = exp_simd(pj[i] - mx[i]));
      }
#pragma omp simd
      for (int i = 0; i < kLanes; ++i) l[i] = l[i] * correction[i] + sum[i], m[i] = mx[i];
      tile_weighted_sum(d, oT, p, v + first, kv_stride, n, load_lanes(correction));
    }
    for (int i = 0; i < rows; ++i) {
      float* ot = out + (at(b * T + t0 + i, NH) + h) * HS;
      const float inv = 1.0f / l[i];
      for (int c = 0; c < HS; ++c) ot[c] = oT[at(c, kLanes) + i] * inv;
      lse[at(b * NH + h, T) + t0 + i] = m[i] + std::log(l[i]);
    }
  }
}

// One query row t of head h against the key tile s0 .. s0+n of the backward below: its
// P and dS over the tile (zero past t, where the causal mask hides the keys) and its
// dq, summed over the tile's keys in order.
template <typename D>
__attribute__((always_inline)) inline void attention_backward_row(const D& d, float* p, float* ds, float* dq,
                                                                  const float* kt, const float* vt, const float* q,
                                                                  const float* dout, const float* lse,
                                                                  const float* rowsum, int b, int h, int t, int s0,
                                                                  int n, float scale) {
  const int T = d.T, NH = d.NH, HS = d.HS;
  const size_t row = (at(b * T + t, NH) + h) * HS;
  const float *qt = q + row, *gt = dout + row, l = lse[at(b * NH + h, T) + t], D_t = rowsum[t];
  const int m = std::min(n, t + 1 - s0);
  for (int j = 0; j < m; ++j) {
    p[j] = dot(d, qt, kt + j * HS);
    ds[j] = dot(d, gt, vt + j * HS);
  }
#pragma omp simd
  for (int j = 0; j < m; ++j) {
    p[j] = exp_simd(p[j] * scale - l);
    ds[j] = p[j] * (ds[j] - D_t) * scale;
  }
  for (int j = m; j < n; ++j) p[j] = ds[j] = 0.0f;
  float* dqt = dq + row;
  for (int j = 0; j < m; ++j) {
    const float dsj = ds[j], *kj = kt + j * HS;
#pragma omp simd
    for (int c = 0; c < HS; ++c) dqt[c] += dsj * kj[c];
  }
}

// Writes dq, dk, dv. Work items are (b, kv head): the item owns dk and dv of its
// key/value head and dq of the query heads that read it, so no two threads write the
// same value and every sum runs in the same order whatever the thread count.
// P = exp(q.k * scale - lse); dP = dout.v; dS = P * (dP - D) with D = rowsum(dout * out).
// Key tile by key tile: the tile's k and v rows are copied next to each other and its
// dk and dv summed there, then stored once. (Summed in place, rows NKV * HS floats
// apart, dk and dv were read and written at a stride that maps them onto a few cache
// sets; the backward then ran no faster on 2 threads than on 1.) Query rows come
// kRowBlock at a time: their P and dS first, then each key's dk and dv row takes the
// block's rows in one pass, in registers (a row at a time, the tile's dk and dv,
// 32 KiB at HS 64, went through the cache for every query row); the rows are added
// in the same order as one at a time.
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
    float* kt = scratch + thread_index() * per_thread;  // [kKeyTile][HS] each: k, v, dk, dv of the tile
    float *vt = kt + kKeyTile * HS, *dkt = vt + kKeyTile * HS, *dvt = dkt + kKeyTile * HS;
    float *p = dvt + kKeyTile * HS, *ds = p + kRowBlock * kKeyTile;  // [kRowBlock][kKeyTile] each
    float* rowsum = ds + kRowBlock * kKeyTile;  // [group][T]: D, read by every key tile
    for (int t = 0; t < T; ++t) {
      std::fill_n(dq + (at(b * T + t, NH) + kvh * group) * HS, group * HS, 0.0f);
      for (int g = 0; g < group; ++g) {
        const size_t row = (at(b * T + t, NH) + kvh * group + g) * HS;
        rowsum[at(g, T) + t] = dot(d, dout + row, out + row);
      }
    }
    for (int s0 = 0; s0 < T; s0 += kKeyTile) {
      const int s1 = std::min(T, s0 + kKeyTile), n = s1 - s0;
      for (int j = s0; j < s1; ++j) {
        const size_t kv = (at(b * T + j, NKV) + kvh) * HS;
        std::copy_n(k + kv, HS, kt + (j - s0) * HS);
        std::copy_n(v + kv, HS, vt + (j - s0) * HS);
      }
      std::fill_n(dkt, n * HS, 0.0f);
      std::fill_n(dvt, n * HS, 0.0f);
      for (int h = kvh * group; h < (kvh + 1) * group; ++h)
        for (int t0 = s0; t0 < T; t0 += kRowBlock) {  // the queries that see this tile
          const int rows = std::min(kRowBlock, T - t0);
          for (int r = 0; r < rows; ++r)
            attention_backward_row(d, p + r * kKeyTile, ds + r * kKeyTile, dq, kt, vt, q, dout, lse,
                                   rowsum + at(h - kvh * group, T), b, h, t0 + r, s0, n, scale);
          for (int j = 0; j < n; ++j) {
            float *dkj = dkt + j * HS, *dvj = dvt + j * HS;
            const size_t first = (at(b * T + t0, NH) + h) * HS, stride = static_cast<size_t>(NH) * HS;
#pragma omp simd
            for (int c = 0; c < HS; ++c) {
              float dvc = dvj[c], dkc = dkj[c];
              for (int r = 0; r < rows; ++r) {
                dvc += p[r * kKeyTile + j] * dout[first + r * stride + c];
                dkc += ds[r * kKeyTile + j] * q[first + r * stride + c];
              }
              dvj[c] = dvc, dkj[c] = dkc;
            }
          }
        }
      for (int j = s0; j < s1; ++j) {
        const size_t kv = (at(b * T + j, NKV) + kvh) * HS;
        std::copy_n(dkt + (j - s0) * HS, HS, dk + kv);
        std::copy_n(dvt + (j - s0) * HS, HS, dv + kv);
      }
    }
  }
}

}  // namespace trn::native::kernels
