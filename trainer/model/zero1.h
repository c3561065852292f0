// ZeRO-1 (distributed_strategy.zero1, as NxDT names it): the AdamW state is split
// across the data-parallel ranks. Each rank owns one contiguous slice of the flat
// parameter vector: it receives only that slice of the summed gradients (a
// reduce-scatter instead of an all-reduce), clips it with the global norm (the
// slices' squared norms summed over ranks), runs AdamW on it with its own m and v,
// and the updated slices are all-gathered into every rank's full parameters.
// Each rank so holds 1/N of m and v (allocated so from the start). Checkpoints are
// sharded the same way: each rank writes its slice, rank 0 a manifest last
// (trainer/checkpoint/checkpoint_shards.h); a resume has each rank read its slice of this run's
// rank count from the shards that hold it, so a run saved at 4 ranks resumes at 2.
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
// The slice of n parameters whose AdamW state rank `rank` of `world` keeps: its
// shard with ZeRO-1 over several ranks, else all (a bad zero1 value counts as
// false here; restore_training_state reports it).
Shard optimizer_shard(const TrainSettings& s, size_t n, int world, int rank);

}  // namespace trn::native
