// The process's one thread pool: OpenMP's. Its size comes from one place,
// OMP_NUM_THREADS (OpenMP's own variable; when unset, the node's cores split
// among its ranks: size_kernel_threads). OpenBLAS (Debian's
// pthread build has a pool of its own) is held to one thread: our kernels split
// every GEMM across the OpenMP team themselves (trainer/model/layers.cc), so the two
// pools never compete for the cores.
#pragma once

#include <algorithm>
#include <cstddef>

namespace trn::native {

// Sizes the team before the first kernel runs: OMP_NUM_THREADS when set, else this
// machine's cores shared evenly by the `ranks_here` ranks on it, so several ranks on
// one node (or the local cluster's nodes on one host) never oversubscribe the cores.
void size_kernel_threads(int ranks_here);
// The team size every kernel uses. The first call also pins OpenBLAS to one thread.
int kernel_threads();

// The loops over whole buffers (AdamW, the gradient norm and clip, clearing and
// averaging the gradients) run over fixed blocks of this many values, the blocks split
// across the team: each block's result is the same whatever the thread count and level.
constexpr size_t kBufferBlock = 1 << 14;
inline size_t buffer_blocks(size_t n) { return (n + kBufferBlock - 1) / kBufferBlock; }

// Runs f(begin, count) for every block of [0, n) on the process's threads.
template <typename F>
void for_blocks(size_t n, F f) {
  const long count = static_cast<long>(buffer_blocks(n));
#pragma omp parallel for schedule(static) num_threads(kernel_threads()) if (count > 1)
  for (long b = 0; b < count; ++b) {
    const size_t begin = static_cast<size_t>(b) * kBufferBlock;
    f(begin, std::min(kBufferBlock, n - begin));
  }
}

// The [begin, end) share of n items that thread `index` of `count` takes.
struct Share {
  int begin, end;
};
Share share_of(int n, int index, int count);

}  // namespace trn::native
