#include "trainer/layers.h"

#include "trainer/attention_kernel.h"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <vector>

namespace trn::native {

void matmul_forward(float* out, const float* in, const float* w, int N, int IC, int OC) {
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, N, OC, IC, 1.0f, in, IC, w, OC, 0.0f, out, OC);
}

void matmul_backward(float* din, float* dw, const float* dout, const float* in, const float* w, int N, int IC,
                     int OC) {
  if (din) cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, N, IC, OC, 1.0f, dout, OC, w, OC, 1.0f, din, IC);
  cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, IC, OC, N, 1.0f, in, IC, dout, OC, 1.0f, dw, OC);
}

void rmsnorm_forward(float* out, float* rstd, const float* x, const float* weight, int N, int C, float eps) {
  for (int n = 0; n < N; ++n) {
    const float* xn = x + static_cast<size_t>(n) * C;
    float* on = out + static_cast<size_t>(n) * C;
    double ss = 0.0;
    for (int c = 0; c < C; ++c) ss += static_cast<double>(xn[c]) * xn[c];
    const float r = static_cast<float>(1.0 / std::sqrt(ss / C + eps));
    for (int c = 0; c < C; ++c) on[c] = xn[c] * r * weight[c];
    rstd[n] = r;
  }
}

void rmsnorm_backward(float* dx, float* dweight, const float* dout, const float* x, const float* weight,
                      const float* rstd, int N, int C) {
  for (int n = 0; n < N; ++n) {
    const size_t row = static_cast<size_t>(n) * C;
    const float r = rstd[n];
    double dot = 0.0;  // sum_c dout*w*x: the part of the gradient that flows through rstd
    for (int c = 0; c < C; ++c) dot += static_cast<double>(dout[row + c]) * weight[c] * x[row + c];
    const float k = static_cast<float>(dot) * r * r * r / C;
    for (int c = 0; c < C; ++c) {
      dweight[c] += dout[row + c] * x[row + c] * r;
      dx[row + c] += dout[row + c] * weight[c] * r - x[row + c] * k;
    }
  }
}

namespace {
// Rotates each (2i, 2i+1) pair by +angle (forward) or -angle (backward).
void rope_rotate(float* x, int B, int T, int H, int HS, float theta, float sign) {
  const int half = HS / 2;
  std::vector<float> inv_freq(half);
  for (int i = 0; i < half; ++i) inv_freq[i] = std::pow(theta, -2.0f * i / HS);
  for (int b = 0; b < B; ++b)
    for (int t = 0; t < T; ++t)
      for (int h = 0; h < H; ++h) {
        float* v = x + ((static_cast<size_t>(b) * T + t) * H + h) * HS;
        for (int i = 0; i < half; ++i) {
          const float a = t * inv_freq[i];
          const float c = std::cos(a), s = sign * std::sin(a);
          const float x0 = v[2 * i], x1 = v[2 * i + 1];
          v[2 * i] = x0 * c - x1 * s;
          v[2 * i + 1] = x0 * s + x1 * c;
        }
      }
}
}  // namespace

void rope_forward(float* x, int B, int T, int H, int HS, float theta) { rope_rotate(x, B, T, H, HS, theta, 1.0f); }
void rope_backward(float* dx, int B, int T, int H, int HS, float theta) {
  rope_rotate(dx, B, T, H, HS, theta, -1.0f);
}

void attention_forward(float* out, float* att, const float* q, const float* k, const float* v, int B, int T, int NH,
                       int NKV, int HS) {
  kernels::attention_forward(kernels::RuntimeDims{T, NH, NKV, HS}, out, att, q, k, v, B);
}

void attention_backward(float* dq, float* dk, float* dv, const float* dout, const float* att, const float* q,
                        const float* k, const float* v, int B, int T, int NH, int NKV, int HS) {
  kernels::attention_backward(kernels::RuntimeDims{T, NH, NKV, HS}, dq, dk, dv, dout, att, q, k, v, B);
}

void swiglu_forward(float* out, const float* a, const float* b, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    const float sig = 1.0f / (1.0f + std::exp(-a[i]));
    out[i] = a[i] * sig * b[i];
  }
}

void swiglu_backward(float* da, float* db, const float* dout, const float* a, const float* b, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    const float sig = 1.0f / (1.0f + std::exp(-a[i]));
    const float silu = a[i] * sig;
    da[i] += dout[i] * b[i] * sig * (1.0f + a[i] * (1.0f - sig));
    db[i] += dout[i] * silu;
  }
}

float crossentropy_forward(float* logits, const int* targets, int N, int V) {
  double loss = 0.0;
  for (int n = 0; n < N; ++n) {
    float* row = logits + static_cast<size_t>(n) * V;
    const float maxv = *std::max_element(row, row + V);
    double sum = 0.0;
    for (int j = 0; j < V; ++j) sum += (row[j] = std::exp(row[j] - maxv));
    for (int j = 0; j < V; ++j) row[j] = static_cast<float>(row[j] / sum);
    loss -= std::log(std::max(row[targets[n]], 1e-30f));
  }
  return static_cast<float>(loss / N);
}

void crossentropy_backward(float* dlogits, const float* probs, const int* targets, int N, int V, float scale) {
  for (int n = 0; n < N; ++n) {
    const size_t row = static_cast<size_t>(n) * V;
    for (int j = 0; j < V; ++j) dlogits[row + j] = probs[row + j] * scale;
    dlogits[row + targets[n]] -= scale;
  }
}

void embedding_forward(float* out, const int* tokens, const float* table, int N, int C) {
  for (int n = 0; n < N; ++n)
    std::copy_n(table + static_cast<size_t>(tokens[n]) * C, C, out + static_cast<size_t>(n) * C);
}

void embedding_backward(float* dtable, const float* dout, const int* tokens, int N, int C) {
  for (int n = 0; n < N; ++n) {
    float* row = dtable + static_cast<size_t>(tokens[n]) * C;
    const float* d = dout + static_cast<size_t>(n) * C;
    for (int c = 0; c < C; ++c) row[c] += d[c];
  }
}

}  // namespace trn::native
