// ZeRO-1 (distributed_strategy.zero1, as NxDT names it): the AdamW state is split
// across the data-parallel ranks. Each rank owns one contiguous slice of the flat
// parameter vector: it receives only that slice of the summed gradients (a
// reduce-scatter instead of an all-reduce), clips it with the global norm (the
// slices' squared norms summed over ranks), runs AdamW on it with its own m and v,
// and the updated slices are all-gathered into every rank's full parameters.
// Each rank so holds 1/N of m and v. Checkpoints keep the single-file format: the
// slices are gathered to rank 0 when it writes, and a resume scatters the full
// state by the current rank count, so a run saved at 4 ranks resumes at 2.
// The collectives are in trainer/mpi/; this file is the plain arithmetic.
#pragma once

#include <cstddef>
#include <vector>

#include "common/problem.h"
#include "trainer/train_settings.h"

namespace trn::native {

// [begin, begin + size) of the flat parameter vector.
struct Shard {
  size_t begin = 0, size = 0;
};

// Rank `rank`'s slice of `n` parameters over `world` ranks: balanced, contiguous,
// in rank order (sizes differ by at most one).
Shard shard_of(size_t n, int world, int rank);
// Every rank's slice size, in rank order (the counts of the collectives).
std::vector<size_t> shard_sizes(size_t n, int world);

// distributed_strategy.zero1 (absent: false); a non-boolean value is a Problem.
bool zero1_enabled(const TrainSettings& s, Problems* problems);

}  // namespace trn::native
