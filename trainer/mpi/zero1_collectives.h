// The collectives of ZeRO-1 (trainer/zero1.h) over the ranks' contiguous slices of
// a flat float vector, `sizes` giving every rank's slice in rank order (shard_sizes).
// MPI counts and displacements are int: zero1_enabled's caller refuses models
// whose parameter count does not fit (zero1_problems).
#pragma once

#include <vector>

#include "common/problem.h"

namespace trn::native {

// A Problem when ZeRO-1's collectives cannot address n parameters.
Problems zero1_problems(size_t n);
// *mine = this rank's slice of the sum over ranks of `full`.
void reduce_scatter_sum(const std::vector<float>& full, const std::vector<size_t>& sizes, std::vector<float>* mine);
// Every rank's slice of *full (in place) sent to all ranks.
void allgather_slices(std::vector<float>* full, const std::vector<size_t>& sizes);
// Rank 0's *full (sized there only) = the ranks' slices `mine`.
void gather_slices(const std::vector<float>& mine, const std::vector<size_t>& sizes, std::vector<float>* full);
// *mine = this rank's slice of rank 0's `full` (read there only).
void scatter_slices(const std::vector<float>& full, const std::vector<size_t>& sizes, std::vector<float>* mine);
// The sum over ranks.
double allreduce_sum(double x);

}  // namespace trn::native
