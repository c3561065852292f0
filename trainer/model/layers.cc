#include "trainer/model/layers.h"

#include <cblas.h>

#include <algorithm>

#include "trainer/model/threads.h"
#ifdef _OPENMP
#include <omp.h>
#endif

namespace trn::native {
namespace {
// Runs f(share) on every thread of the team with that thread's share of n rows
// (`work` values in all: a small job stays on the calling thread).
template <typename F>
void split_rows(int n, size_t work, F f) {
#pragma omp parallel num_threads(kernel_threads()) if (kernels::worth_threads(work))
  {
#ifdef _OPENMP
    const Share s = share_of(n, omp_get_thread_num(), omp_get_num_threads());
#else
    const Share s{0, n};
#endif
    if (s.end > s.begin) f(s);
  }
}
}  // namespace

void matmul_forward(float* out, const float* in, const float* w, int N, int IC, int OC) {
  split_rows(N, static_cast<size_t>(N) * IC * OC, [&](Share s) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, s.end - s.begin, OC, IC, 1.0f,
                in + static_cast<size_t>(s.begin) * IC, IC, w, OC, 0.0f, out + static_cast<size_t>(s.begin) * OC, OC);
  });
}

void matmul_backward(float* din, float* dw, const float* dout, const float* in, const float* w, int N, int IC,
                     int OC, bool overwrite_din) {
  if (din)
    split_rows(N, static_cast<size_t>(N) * IC * OC, [&](Share s) {
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, s.end - s.begin, IC, OC, 1.0f,
                  dout + static_cast<size_t>(s.begin) * OC, OC, w, OC, overwrite_din ? 0.0f : 1.0f, din + static_cast<size_t>(s.begin) * IC,
                  IC);
    });
  split_rows(IC, static_cast<size_t>(N) * IC * OC, [&](Share s) {
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, s.end - s.begin, OC, N, 1.0f, in + s.begin, IC, dout, OC,
                1.0f, dw + static_cast<size_t>(s.begin) * OC, OC);
  });
}

void embedding_forward(float* out, const int* tokens, const float* table, int N, int C) {
#pragma omp parallel for schedule(static) num_threads(kernel_threads()) if (kernels::worth_threads(size_t(N) * C))
  for (int n = 0; n < N; ++n)
    std::copy_n(table + static_cast<size_t>(tokens[n]) * C, C, out + static_cast<size_t>(n) * C);
}

void embedding_backward(float* dtable, const float* dout, const int* tokens, int N, int C) {
  split_rows(C, static_cast<size_t>(N) * C, [&](Share s) {
    for (int n = 0; n < N; ++n) {
      float* row = dtable + static_cast<size_t>(tokens[n]) * C;
      const float* d = dout + static_cast<size_t>(n) * C;
      for (int c = s.begin; c < s.end; ++c) row[c] += d[c];
    }
  });
}

}  // namespace trn::native
