#include "trainer/model/threads.h"

#include <cblas.h>

#include <algorithm>
#include <cstdlib>
#ifdef _OPENMP
#include <omp.h>
#endif

namespace trn::native {

void size_kernel_threads(int ranks_here) {
#ifdef _OPENMP
  const char* env = std::getenv("OMP_NUM_THREADS");
  if (!env || !*env) omp_set_num_threads(std::max(1, omp_get_num_procs() / std::max(1, ranks_here)));
#else
  (void)ranks_here;
#endif
}

int kernel_threads() {
  static const int threads = [] {
    openblas_set_num_threads(1);
#ifdef _OPENMP
    return omp_get_max_threads();
#else
    return 1;
#endif
  }();
  return threads;
}

Share share_of(int n, int index, int count) {
  const long long begin = static_cast<long long>(n) * index / count;
  const long long end = static_cast<long long>(n) * (index + 1) / count;
  return {static_cast<int>(begin), static_cast<int>(end)};
}

}  // namespace trn::native
