#include "trainer/model/zero1.h"

#include <algorithm>

namespace trn::native {

Shard shard_of(size_t n, int world, int rank) {
  const size_t w = static_cast<size_t>(world), r = static_cast<size_t>(rank);
  const size_t base = n / w, extra = n % w;  // the first `extra` ranks take one more
  return {r * base + std::min(r, extra), base + (r < extra ? 1 : 0)};
}

std::vector<size_t> shard_sizes(size_t n, int world) {
  std::vector<size_t> sizes;
  for (int r = 0; r < world; ++r) sizes.push_back(shard_of(n, world, r).size);
  return sizes;
}

bool zero1_enabled(const TrainSettings& s, Problems* problems) {
  return s.doc.get_bool("distributed_strategy.zero1", problems).value_or(false);
}

Shard optimizer_shard(const TrainSettings& s, size_t n, int world, int rank) {
  Problems ignored;
  return zero1_enabled(s, &ignored) && world > 1 ? shard_of(n, world, rank) : Shard{0, n};
}

}  // namespace trn::native
