// Causal grouped-query attention without the T x T probability matrix (flash-style):
// the forward walks key tiles with an online softmax and keeps only the output and
// each row's log-sum-exp; the backward recomputes the probabilities tile by tile
// from q, k and that log-sum-exp. Query head h reads key/value head h / (NH/NKV).
// q[B,T,NH,HS], k/v[B,T,NKV,HS], out[B,T,NH,HS], lse[B,NH,T].
//
// Both passes hold a block of kRowLanes query rows transposed, [HS][kRowLanes]: the
// rows are lanes of vectors (common.h's Lanes), so a key's scores for the whole block
// are a row of lanes, sum over c of k[c] * qT[c], with no horizontal sum, and the
// softmax runs down the lanes. Every product is lanes_product below, whose register
// block keeps kRegisterBlock vectors of sums in registers over its inner loop. (Row
// by row, each score was an HS-float dot product ending in a horizontal sum and each
// output row went through memory for every key: about 55 GFLOP/s forward and 70
// backward at the bench shape on two AVX-512 threads, against 209 for sgemm; this way,
// 180 both.)
#pragma once

#include "trainer/kernels/common.h"

namespace trn::native::kernels {

constexpr int kKeyTile = 64;

// Floats of scratch one thread needs (the caller sizes it once per thread, for any
// ISA): the forward's transposed queries, output and scores; the backward's
// contiguous copies of a key tile's k and v, its dk and dv sums, a query block's
// transposed q, dout and dq, its P and dS over the tile, and D of every query row of
// the item's heads.
template <typename D>
size_t attention_scratch_floats(const D& d) {
  const size_t HS = d.HS, lanes = kRowLanes, keys = kKeyTile;
  const size_t forward = lanes * (keys + 2 * HS);
  const size_t backward = keys * 4 * HS + 3 * HS * lanes + 2 * keys * lanes + static_cast<size_t>(d.NH / d.NKV) * d.T;
  return std::max(forward, backward);
}

// out[r] = (accumulate ? out[r] : 0) + sum over k < K of a[r * ar + k * ak] * x[k] for
// r < rows, where out[r] and x[k] are rows of kRowLanes floats at out + r * os and
// x + k * xs and a holds scalars: the one product both passes are made of.
template <int R>
__attribute__((always_inline)) inline void lanes_product_block(float* out, size_t os, const float* a, size_t ar,
                                                               size_t ak, const float* x, size_t xs, int K,
                                                               bool accumulate) {
  Lanes acc[R][kVectors];
  for (int r = 0; r < R; ++r)
    for (int w = 0; w < kVectors; ++w) acc[r][w] = accumulate ? load_lanes(out + r * os + w * kLanes) : Lanes{};
  for (int k = 0; k < K; ++k) {
    Lanes xk[kVectors];
    for (int w = 0; w < kVectors; ++w) xk[w] = load_lanes(x + k * xs + w * kLanes);
    for (int r = 0; r < R; ++r) {
      const float ark = a[r * ar + k * ak];
      for (int w = 0; w < kVectors; ++w) acc[r][w] += ark * xk[w];
    }
  }
  for (int r = 0; r < R; ++r)
    for (int w = 0; w < kVectors; ++w) store_lanes(out + r * os + w * kLanes, acc[r][w]);
}
__attribute__((always_inline)) inline void lanes_product(float* out, size_t os, const float* a, size_t ar, size_t ak,
                                                         const float* x, size_t xs, int rows, int K, bool accumulate) {
  int r = 0;
  for (; r + kRegisterBlock <= rows; r += kRegisterBlock)
    lanes_product_block<kRegisterBlock>(out + r * os, os, a + r * ar, ar, ak, x, xs, K, accumulate);
  for (; r < rows; ++r) lanes_product_block<1>(out + r * os, os, a + r * ar, ar, ak, x, xs, K, accumulate);
}

// xT[c][i] = x[i][c] * scale for the block's rows (stride floats apart), 0 in the
// lanes past its last row.
template <typename D>
__attribute__((always_inline)) inline void transpose_rows(const D& d, float* xT, const float* x, size_t stride,
                                                          int rows, float scale) {
  const int HS = d.HS;
  std::fill_n(xT, at(HS, kRowLanes), 0.0f);
  for (int i = 0; i < rows; ++i)
    for (int c = 0; c < HS; ++c) xT[at(c, kRowLanes) + i] = x[i * stride + c] * scale;
}

// Work items are (b, h, query block), the costliest (last) blocks handed out first;
// each writes only its own rows of out and lse.
template <typename D>
void attention_forward(const D& d, float* out, float* lse, const float* q, const float* k, const float* v, int B,
                       float* scratch, int threads) {
  const int T = d.T, NH = d.NH, NKV = d.NKV, HS = d.HS, group = d.NH / d.NKV;
  const float scale = 1.0f / std::sqrt(static_cast<float>(HS));
  const int blocks = (T + kRowLanes - 1) / kRowLanes;
  const size_t per_thread = attention_scratch_floats(d), q_stride = static_cast<size_t>(NH) * HS,
               kv_stride = static_cast<size_t>(NKV) * HS;
#pragma omp parallel for schedule(dynamic) num_threads(threads) if (worth_threads(at(B * NH, T) * T * HS / 2))
  for (int item = 0; item < B * NH * blocks; ++item) {
    const int b = item / (NH * blocks), h = item / blocks % NH, t0 = (blocks - 1 - item % blocks) * kRowLanes;
    const int rows = std::min(T - t0, kRowLanes), kvh = h / group;
    float* qT = scratch + thread_index() * per_thread;  // [HS][kRowLanes] the block's queries, times scale
    float* oT = qT + at(HS, kRowLanes);                  // [HS][kRowLanes] unnormalised output
    float* p = oT + at(HS, kRowLanes);                   // [kKeyTile][kRowLanes] scores, then their exp
    transpose_rows(d, qT, q + (at(b * T + t0, NH) + h) * HS, q_stride, rows, scale);
    std::fill_n(oT, at(HS, kRowLanes), 0.0f);
    float m[kRowLanes], l[kRowLanes];  // each row's running max and sum of exp
    std::fill_n(m, kRowLanes, -INFINITY);
    std::fill_n(l, kRowLanes, 0.0f);
    for (int s0 = 0; s0 < t0 + rows; s0 += kKeyTile) {
      const int n = std::min(t0 + rows, s0 + kKeyTile) - s0;
      const size_t first = (at(b * T + s0, NKV) + kvh) * HS;
      lanes_product(p, kRowLanes, k + first, kv_stride, 1, qT, kRowLanes, n, HS, false);
      float mx[kRowLanes], correction[kRowLanes], sum[kRowLanes];
      std::copy_n(m, kRowLanes, mx);
      for (int j = 0; j < n; ++j) {
        float* pj = p + at(j, kRowLanes);
#pragma omp simd
        for (int i = 0; i < kRowLanes; ++i) {
          pj[i] = t0 + i < s0 + j ? -INFINITY : pj[i];  // causal: row t0+i sees keys up to itself
          mx[i] = std::max(mx[i], pj[i]);
        }
      }
#pragma omp simd
      for (int i = 0; i < kRowLanes; ++i) correction[i] = exp_simd(m[i] - mx[i]), sum[i] = 0.0f;  // 0 at the first tile
      for (int j = 0; j < n; ++j) {
        float* pj = p + at(j, kRowLanes);
#pragma omp simd
        for (int i = 0; i < kRowLanes; ++i) sum[i] += (pj[i] = exp_simd(pj[i] - mx[i]));
      }
#pragma omp simd
      for (int i = 0; i < kRowLanes; ++i) l[i] = l[i] * correction[i] + sum[i], m[i] = mx[i];
      for (int c = 0; c < HS; ++c) {
        float* oc = oT + at(c, kRowLanes);
#pragma omp simd
        for (int i = 0; i < kRowLanes; ++i) oc[i] *= correction[i];
      }
      lanes_product(oT, kRowLanes, v + first, 1, kv_stride, p, kRowLanes, HS, n, true);
    }
    for (int i = 0; i < rows; ++i) {
      float* ot = out + (at(b * T + t0 + i, NH) + h) * HS;
      const float inv = 1.0f / l[i];
      for (int c = 0; c < HS; ++c) ot[c] = oT[at(c, kRowLanes) + i] * inv;
      lse[at(b * NH + h, T) + t0 + i] = m[i] + std::log(l[i]);
    }
  }
}

// Writes dq, dk, dv. Work items are (b, kv head): the item owns dk and dv of its
// key/value head and dq of the query heads that read it, so no two threads write the
// same value and every sum runs in the same order whatever the thread count.
// P = exp(q.k * scale - lse); dP = dout.v; dS = P * (dP - D) * scale with
// D = rowsum(dout * out); dq = dS.k, dk = dS^T.q, dv = P^T.dout.
// Key tile by key tile: the tile's k and v rows are copied next to each other and its
// dk and dv summed there, then stored once (summed in place, rows NKV * HS floats
// apart, they mapped onto a few cache sets). Against each tile, the query blocks that
// see it: P and dS held transposed like the forward's scores, dq's block summed
// transposed and added to dq rows; dk and dv take P and dS a key row at a time, as
// rows of lanes over head columns (whole rows only; the columns past the last whole
// row one by one). A block's q and dout are transposed again for every key tile it
// sees: held transposed for the whole item they would take 2 x group x T x HS floats
// of scratch per thread (64 MB at T 8192, HS 128, group 8).
template <typename D>
void attention_backward(const D& d, float* dq, float* dk, float* dv, const float* dout, const float* out,
                        const float* lse, const float* q, const float* k, const float* v, int B, float* scratch,
                        int threads) {
  const int T = d.T, NH = d.NH, NKV = d.NKV, HS = d.HS, group = d.NH / d.NKV;
  const float scale = 1.0f / std::sqrt(static_cast<float>(HS));
  const size_t per_thread = attention_scratch_floats(d), q_stride = static_cast<size_t>(NH) * HS;
  const int whole = HS / kRowLanes * kRowLanes;  // head columns in whole rows of lanes
#pragma omp parallel for schedule(dynamic) num_threads(threads) if (worth_threads(at(B * NH, T) * T * HS / 2))
  for (int item = 0; item < B * NKV; ++item) {
    const int b = item / NKV, kvh = item % NKV;
    float* kt = scratch + thread_index() * per_thread;  // [kKeyTile][HS] each: k, v, dk, dv of the tile
    float *vt = kt + at(kKeyTile, HS), *dkt = vt + at(kKeyTile, HS), *dvt = dkt + at(kKeyTile, HS);
    float *qT = dvt + at(kKeyTile, HS), *doT = qT + at(HS, kRowLanes);  // [HS][kRowLanes] each: q, dout, dq
    float *dqT = doT + at(HS, kRowLanes), *pT = dqT + at(HS, kRowLanes);
    float* dsT = pT + at(kKeyTile, kRowLanes);      // [kKeyTile][kRowLanes] each: P, dS
    float* rowsum = dsT + at(kKeyTile, kRowLanes);  // [group][T]: D
    for (int t = 0; t < T; ++t) {
      std::fill_n(dq + (at(b * T + t, NH) + kvh * group) * HS, group * HS, 0.0f);
      for (int g = 0; g < group; ++g) {
        const float *gt = dout + (at(b * T + t, NH) + kvh * group + g) * HS, *ot = out + (gt - dout);
        float s = 0.0f;
#pragma omp simd reduction(+ : s)
        for (int c = 0; c < HS; ++c) s += gt[c] * ot[c];
        rowsum[at(g, T) + t] = s;
      }
    }
    for (int s0 = 0; s0 < T; s0 += kKeyTile) {
      const int n = std::min(T, s0 + kKeyTile) - s0;
      for (int j = 0; j < n; ++j) {
        const size_t kv = (at(b * T + s0 + j, NKV) + kvh) * HS;
        std::copy_n(k + kv, HS, kt + at(j, HS));
        std::copy_n(v + kv, HS, vt + at(j, HS));
      }
      std::fill_n(dkt, at(n, HS), 0.0f);
      std::fill_n(dvt, at(n, HS), 0.0f);
      for (int h = kvh * group; h < (kvh + 1) * group; ++h)
        for (int t0 = s0; t0 < T; t0 += kRowLanes) {  // the query blocks that see this tile
          const int rows = std::min(kRowLanes, T - t0);
          const size_t first = (at(b * T + t0, NH) + h) * HS;
          transpose_rows(d, qT, q + first, q_stride, rows, scale);
          transpose_rows(d, doT, dout + first, q_stride, rows, 1.0f);
          float l[kRowLanes] = {}, D_t[kRowLanes] = {};
          for (int i = 0; i < rows; ++i)
            l[i] = lse[at(b * NH + h, T) + t0 + i], D_t[i] = rowsum[at(h - kvh * group, T) + t0 + i];
          lanes_product(pT, kRowLanes, kt, HS, 1, qT, kRowLanes, n, HS, false);
          lanes_product(dsT, kRowLanes, vt, HS, 1, doT, kRowLanes, n, HS, false);  // dP
          for (int j = 0; j < n; ++j) {
            float *pj = pT + at(j, kRowLanes), *dsj = dsT + at(j, kRowLanes);
#pragma omp simd
            for (int i = 0; i < kRowLanes; ++i) {
              const bool seen = i < rows && s0 + j <= t0 + i;  // causal, and a row of the block
              const float p = seen ? exp_simd(pj[i] - l[i]) : 0.0f;
              pj[i] = p, dsj[i] = p * (dsj[i] - D_t[i]) * scale;
            }
          }
          lanes_product(dqT, kRowLanes, kt, 1, HS, dsT, kRowLanes, HS, n, false);
          for (int i = 0; i < rows; ++i) {
            float* dqi = dq + first + i * q_stride;
            for (int c = 0; c < HS; ++c) dqi[c] += dqT[at(c, kRowLanes) + i];
          }
          for (int c = 0; c < whole; c += kRowLanes) {
            lanes_product(dvt + c, HS, pT, kRowLanes, 1, dout + first + c, q_stride, n, rows, true);
            lanes_product(dkt + c, HS, dsT, kRowLanes, 1, q + first + c, q_stride, n, rows, true);
          }
          for (int j = 0; j < n; ++j)
            for (int c = whole; c < HS; ++c)
              for (int i = 0; i < rows; ++i) {
                dvt[at(j, HS) + c] += pT[at(j, kRowLanes) + i] * dout[first + i * q_stride + c];
                dkt[at(j, HS) + c] += dsT[at(j, kRowLanes) + i] * q[first + i * q_stride + c];
              }
        }
      for (int j = 0; j < n; ++j) {
        const size_t kv = (at(b * T + s0 + j, NKV) + kvh) * HS;
        std::copy_n(dkt + at(j, HS), HS, dk + kv);
        std::copy_n(dvt + at(j, HS), HS, dv + kv);
      }
    }
  }
}

}  // namespace trn::native::kernels
