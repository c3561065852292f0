// The process's one thread pool: OpenMP's. Its size comes from one place,
// OMP_NUM_THREADS (OpenMP's own variable; all cores when unset). OpenBLAS (Debian's
// pthread build has a pool of its own) is held to one thread: our kernels split
// every GEMM across the OpenMP team themselves (trainer/layers.cc), so the two
// pools never compete for the cores.
#pragma once

namespace trn::native {

// The team size every kernel uses. The first call also pins OpenBLAS to one thread.
int kernel_threads();

// The [begin, end) share of n items that thread `index` of `count` takes.
struct Share {
  int begin, end;
};
Share share_of(int n, int index, int count);

}  // namespace trn::native
