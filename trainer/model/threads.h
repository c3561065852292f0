// The process's one thread pool: OpenMP's. Its size comes from one place,
// OMP_NUM_THREADS (OpenMP's own variable; when unset, the node's cores split
// among its ranks: size_kernel_threads). OpenBLAS (Debian's
// pthread build has a pool of its own) is held to one thread: our kernels split
// every GEMM across the OpenMP team themselves (trainer/model/layers.cc), so the two
// pools never compete for the cores.
#pragma once

namespace trn::native {

// Sizes the team before the first kernel runs: OMP_NUM_THREADS when set, else this
// machine's cores shared evenly by the `ranks_here` ranks on it, so several ranks on
// one node (or the local cluster's nodes on one host) never oversubscribe the cores.
void size_kernel_threads(int ranks_here);
// The team size every kernel uses. The first call also pins OpenBLAS to one thread.
int kernel_threads();

// The [begin, end) share of n items that thread `index` of `count` takes.
struct Share {
  int begin, end;
};
Share share_of(int n, int index, int count);

}  // namespace trn::native
