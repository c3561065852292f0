// The machine's practical fp32 GEMM peak for bench/trainer_bench.sh: the best of REPS
// square SIZE^3 OpenBLAS sgemm calls (after one untimed call that faults the pages in
// and starts the threads) on THREADS threads, the same library the native engine
// links. Prints one line ending in "<x> GFLOP/s".
//
// usage: sgemm_peak THREADS [SIZE (2048) [REPS (5)]]
#include <cblas.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

namespace {

// A positive integer argument, or 0 when it is not one.
int positive(const char* s) {
  char* end = nullptr;
  const long v = std::strtol(s, &end, 10);
  return end != s && *end == '\0' && v > 0 && v <= 1 << 20 ? static_cast<int>(v) : 0;
}

}  // namespace

int main(int argc, char** argv) {
  const int threads = argc > 1 ? positive(argv[1]) : 0;
  const int n = argc > 2 ? positive(argv[2]) : 2048;
  const int reps = argc > 3 ? positive(argv[3]) : 5;
  if (argc < 2 || argc > 4 || threads == 0 || n == 0 || reps == 0) {
    std::fprintf(stderr, "usage: sgemm_peak THREADS [SIZE (2048) [REPS (5)]]: positive integers\n");
    return 2;
  }
  openblas_set_num_threads(threads);
  const size_t nn = static_cast<size_t>(n) * n;
  std::vector<float> a(nn), b(nn), c(nn);
  for (size_t i = 0; i < nn; ++i) a[i] = static_cast<float>(i % 7) * 0.25f, b[i] = static_cast<float>(i % 5) * 0.5f;
  double best = 1e30;
  for (int r = 0; r <= reps; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a.data(), n, b.data(), n, 0.0f, c.data(), n);
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (r > 0) best = std::min(best, secs);
  }
  std::printf("sgemm %d^3 on %d threads: best of %d %.1f ms, %.1f GFLOP/s\n", n, threads, reps, best * 1e3,
              2.0 * n * n * n / best / 1e9);
  return 0;
}
