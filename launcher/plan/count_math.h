// Products of counts (TP*PP*CP, micro_batch_size*DP, nodes*procs) computed without
// wrapping: every factor is range-checked where it is read, but a product is checked
// again here so a future range change cannot turn it into a zero divisor (SIGFPE) or
// a negative count.
#pragma once

#include <initializer_list>
#include <optional>

namespace trn {

// The product of positive factors; nullopt when a factor is below 1 or the product
// leaves long long.
inline std::optional<long long> product(std::initializer_list<long long> factors) {
  long long out = 1;
  for (long long f : factors) {
    if (f < 1 || __builtin_mul_overflow(out, f, &out)) return std::nullopt;
  }
  return out;
}

}  // namespace trn
