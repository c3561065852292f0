#include "trainer/mpi/mpi_world.h"

#include <mpi.h>

#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <functional>
#include <string>

#include "trainer/model/memory_estimate.h"
#include "trainer/mpi/input_verdict.h"
#include "trainer/report/progress_beacon.h"

namespace trn::native {
namespace {
constexpr size_t kMpiChunk = size_t{1} << 28;
}  // namespace

Mpi::Mpi(int* argc, char*** argv) {
  MPI_Init(argc, argv);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &world);
}
Mpi::~Mpi() { MPI_Finalize(); }

void bcast_floats(std::vector<float>* v) {
  InCollective in;
  for (size_t at = 0; at < v->size(); at += kMpiChunk)
    MPI_Bcast(v->data() + at, static_cast<int>(std::min(kMpiChunk, v->size() - at)), MPI_FLOAT, 0, MPI_COMM_WORLD);
}

void allreduce_sum(std::vector<float>* v) {
  InCollective in;
  for (size_t at = 0; at < v->size(); at += kMpiChunk)
    MPI_Allreduce(MPI_IN_PLACE, v->data() + at, static_cast<int>(std::min(kMpiChunk, v->size() - at)), MPI_FLOAT,
                  MPI_SUM, MPI_COMM_WORLD);
}

int allreduce_max(int flag) {
  InCollective in;
  MPI_Allreduce(MPI_IN_PLACE, &flag, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  return flag;
}

float allreduce_mean(float x, const Mpi& mpi) {
  InCollective in;
  MPI_Allreduce(MPI_IN_PLACE, &x, 1, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
  return x / mpi.world;
}

void bcast_ints(long long* values, int n) {
  InCollective in;
  MPI_Bcast(values, n, MPI_LONG_LONG, 0, MPI_COMM_WORLD);
}

uint64_t machine_id() {
  std::string id;
  std::getline(std::ifstream("/proc/sys/kernel/random/boot_id"), id);
  if (id.empty()) {
    char host[256] = {};
    ::gethostname(host, sizeof host - 1);
    id = host;
  }
  return std::hash<std::string>{}(id);
}

int ranks_on_this_node(const Mpi& mpi) {
  InCollective in;
  std::vector<uint64_t> ids(static_cast<size_t>(mpi.world));
  const uint64_t mine = machine_id();
  MPI_Allgather(&mine, 1, MPI_UINT64_T, ids.data(), 1, MPI_UINT64_T, MPI_COMM_WORLD);
  return static_cast<int>(std::count(ids.begin(), ids.end(), mine));
}

bool memory_refused(const Mpi& mpi, const ModelShape& shape, long long micro_batch, int zero1_ranks) {
  return refused_together(
      mpi, memory_problems(shape, micro_batch, ranks_on_this_node(mpi), available_memory_bytes(), zero1_ranks));
}

}  // namespace trn::native
