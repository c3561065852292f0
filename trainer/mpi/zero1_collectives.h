// The collectives of ZeRO-1 (trainer/model/zero1.h) over the ranks' contiguous slices of
// a flat float vector, `sizes` giving every rank's slice in rank order (shard_sizes).
// MPI counts and displacements are int: zero1_enabled's caller refuses models
// whose parameter count does not fit (zero1_problems).
#pragma once

#include <string>
#include <vector>

#include "common/problem.h"

namespace trn::native {

// A Problem when ZeRO-1's collectives cannot address n parameters.
Problems zero1_problems(size_t n);
// *mine = this rank's slice of the sum over ranks of `full`.
void reduce_scatter_sum(const std::vector<float>& full, const std::vector<size_t>& sizes, std::vector<float>* mine);
// Every rank's slice of *full (in place) sent to all ranks.
void allgather_slices(std::vector<float>* full, const std::vector<size_t>& sizes);
// The sum over ranks.
double allreduce_sum(double x);

// The sharded checkpoints' few words between ranks (trainer/checkpoint/checkpoint_shards.h):
// rank 0 gets every rank's `mine`, in rank order (others: empty); *text of `root`
// sent to all; the lowest rank where `flag` is set (-1: none), known to all.
std::vector<std::string> gather_text(const std::string& mine);
void bcast_text(std::string* text, int root);
int lowest_rank_with(bool flag);

}  // namespace trn::native
