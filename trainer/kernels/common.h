// What every kernel shares. The kernels (trainer/kernels/*.h) are written once as
// templates over a "Dims" type: the trainer instantiates them with RuntimeDims (the
// always-available generic path); the compile step instantiates each with a Dims
// struct whose sizes are compile-time constants (one graph per kind x pass and
// shape, trainer/model/native_graphs.cc), which lets the host compiler unroll and
// vectorise the inner loops. These headers are also the source text of those graphs
// (embedded into trn-train-native at build time, in trainer/module.mk's order), so
// they include nothing but the C++ standard library and OpenMP.
//
// Threading: OpenMP, the process's one pool (trainer/model/threads.h). Every kernel
// partitions its output so no two threads write the same value and each value is
// summed in a fixed order: results do not depend on the thread count.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
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

// kLanes floats as one value (GCC's vector extension; clang reads it too): one
// register of the widest kind the build's ISA has (zmm at x86-64-v4, ymm at v3, xmm at
// baseline). A kernel that keeps a block of them as locals gets them in registers,
// which GCC does not do for a float array summed under `omp simd`. Kernels lay their
// data out in rows of kRowLanes floats, whatever the ISA (so one scratch size serves
// every build), kVectors vectors a row; kRegisterBlock rows of sums (8, 6 or 3: 8 or 12
// registers) leave room for the operands in 16 vector registers.
#if defined(__AVX512F__)
constexpr int kLanes = 16;
#elif defined(__AVX__)
constexpr int kLanes = 8;
#else
constexpr int kLanes = 4;
#endif
constexpr int kRowLanes = 16, kVectors = kRowLanes / kLanes, kRegisterBlock = kVectors == 1 ? 8 : 12 / kVectors;
typedef float Lanes __attribute__((vector_size(kLanes * sizeof(float))));
// Unaligned: scratch and activations are only float-aligned.
__attribute__((always_inline)) inline Lanes load_lanes(const float* p) {
  Lanes v;
  __builtin_memcpy(&v, p, sizeof v);
  return v;
}
__attribute__((always_inline)) inline void store_lanes(float* p, Lanes v) { __builtin_memcpy(p, &v, sizeof v); }

// Below this many values of work a kernel runs on the calling thread alone: waking
// the team costs more than the loop (tiny models, tests, generation).
inline bool worth_threads(size_t values) { return values >= (size_t{1} << 17); }

// e^x in plain float arithmetic, so that the `#pragma omp simd` loops calling it
// vectorise (glibc's expf is a call per element). x = n ln2 + r with n a whole number
// and |r| <= ln2/2; e^r by its Taylor series through r^7 (the rest is below 2^-26 of
// it there); 2^n written into the exponent bits. Rounding to n adds and subtracts
// 1.5 * 2^23, which needs no SSE4 instruction (the kernels are built for baseline
// x86-64). Within 2 ulp of expf for -87.3 <= x <= 88.3; below that 0 (e^x leaves the
// normal floats there; no softmax sum notices), above it infinity; NaN stays NaN.
// The range is applied last, as selects, and the kernels are built with
// -fno-trapping-math: a float comparison that may trap is not if-converted, and the
// loop then does not vectorise (GCC 12).
__attribute__((always_inline)) inline float exp_simd(float x) {
  constexpr float kRound = 12582912.0f;  // 1.5 * 2^23
  const float shifted = x * 1.44269504f + kRound;
  const float n = shifted - kRound;
  const float r = (x - n * 0.693145751953125f) - n * 1.42860677e-6f;  // ln2 = hi + lo, hi exact
  const float p =
      ((((((r * (1.0f / 5040) + 1.0f / 720) * r + 1.0f / 120) * r + 1.0f / 24) * r + 1.0f / 6) * r + 0.5f) * r + 1.0f) *
          r +
      1.0f;
  // The low bits of `shifted` hold n (two's complement in the mantissa, offset 2^22);
  // unsigned arithmetic: out-of-range x gives some bits here, replaced below.
  const uint32_t scale_bits = (__builtin_bit_cast(uint32_t, shifted) - 0x4B400000u + 127u) << 23;
  const float e = p * __builtin_bit_cast(float, scale_bits);
  const float low = x < -87.3f ? 0.0f : e;
  return x > 88.3f ? __builtin_inff() : low;
}

}  // namespace trn::native::kernels
