// What every kernel shares. The kernels (trainer/kernels/*.h) are written once as
// templates over a "Dims" type: the trainer instantiates them with RuntimeDims (the
// always-available generic path); the compile step instantiates each with a Dims
// struct whose sizes are compile-time constants (one graph per kind x pass and
// shape, trainer/native_graphs.cc), which lets the host compiler unroll and
// vectorise the inner loops. These headers are also the source text of those graphs
// (embedded into trn-train-native at build time, in trainer/module.mk's order), so
// they include nothing but the C++ standard library and OpenMP.
//
// Threading: OpenMP, the process's one pool (trainer/threads.h). Every kernel
// partitions its output so no two threads write the same value and each value is
// summed in a fixed order: results do not depend on the thread count.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <type_traits>
#ifdef _OPENMP
#include <omp.h>
#endif

namespace trn::native::kernels {

// The model's sizes at run time. A compiled graph's Dims has the members its kind
// reads (e.g. C for RMSNorm) as static constexpr ints.
struct RuntimeDims {
  int T, C, F, V, NH, NKV, HS;
};

inline int thread_index() {
#ifdef _OPENMP
  return omp_get_thread_num();
#else
  return 0;
#endif
}

inline size_t at(size_t row, size_t width) { return row * width; }

// Below this many values of work a kernel runs on the calling thread alone: waking
// the team costs more than the loop (tiny models, tests, generation).
inline bool worth_threads(size_t values) { return values >= (size_t{1} << 17); }

}  // namespace trn::native::kernels
