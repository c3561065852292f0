// `trn-train-native --collective-test`: the MPI all-reduce bandwidth between node pairs,
// for `trn-train preflight --collective` on a native plan (one rank per node). The pairs
// and rounds are common/node_pairs.h's, so the launcher judges them as it judges
// nccom-test's. Each pair all-reduces 64 MiB of fp32 in place with MPI_Allreduce (the
// call the engine's gradient sum makes) while the other pairs of its round do the same,
// as the data-parallel step loads every node's link at once.
#pragma once

#include "trainer/mpi/mpi_world.h"

namespace trn::native {

// Every rank, collectively. The leading rank of each pair prints its line
// (pair_result_line: bus bandwidth = bytes / seconds per all-reduce, the ring's
// 2(n-1)/n being 1 for a pair; the seconds are the best of 5 timed all-reduces, each
// the slower rank's, so a moment of contention on a busy node does not read as a slow
// link, while a slow link is slow every time).
void run_pair_bandwidth(const Mpi& mpi);

}  // namespace trn::native
