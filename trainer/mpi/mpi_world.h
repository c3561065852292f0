// The MPI side of the trainer: the world, collectives over the flat float buffers
// (in pieces: MPI counts are int), and the memory check (its verdict: trainer/mpi/input_verdict.h).
#pragma once

#include <cstdint>
#include <vector>

#include "common/problem.h"
#include "trainer/model/llama.h"

namespace trn::native {

struct Mpi {
  int rank = 0, world = 1;
  Mpi(int* argc, char*** argv);
  ~Mpi();
  Mpi(const Mpi&) = delete;
  Mpi& operator=(const Mpi&) = delete;
};

void bcast_floats(std::vector<float>* v);
void allreduce_sum(std::vector<float>* v);
// The maximum over ranks of `flag` (a stop request, an error): every rank gets it.
int allreduce_max(int flag);
float allreduce_mean(float x, const Mpi& mpi);
void bcast_ints(long long* values, int n);

// Which machine this rank runs on: its kernel's boot id (one per booted kernel, so the
// local cluster's "nodes", all slurmd on one host, count as the one machine whose cores
// and memory they share; PMIx would call them separate nodes), else the host name.
uint64_t machine_id();

// The ranks sharing this rank's machine (its cores and memory), this one included.
int ranks_on_this_node(const Mpi& mpi);

// The memory a run needs against what each node has, before anything big is
// allocated. Every node checks its own ranks; one verdict (trainer/mpi/input_verdict.h).
// zero1_ranks: the ranks the AdamW state is sharded over (1 without ZeRO-1).
bool memory_refused(const Mpi& mpi, const ModelShape& shape, long long micro_batch, int zero1_ranks);

}  // namespace trn::native
