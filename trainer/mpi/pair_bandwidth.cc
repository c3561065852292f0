#include "trainer/mpi/pair_bandwidth.h"

#include <mpi.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <vector>

#include "common/node_pairs.h"

namespace trn::native {
namespace {

constexpr int kFloats = 16 << 20;  // 64 MiB, as nccom-test's -b 64MB
constexpr int kWarmup = 2, kTimed = 5;

// Seconds per all-reduce of `v` over `comm`: the best of kTimed, each the slower member's.
double time_allreduce(std::vector<float>* v, MPI_Comm comm) {
  for (int i = 0; i < kWarmup; ++i)
    MPI_Allreduce(MPI_IN_PLACE, v->data(), kFloats, MPI_FLOAT, MPI_SUM, comm);
  std::vector<double> seconds(kTimed);
  for (double& s : seconds) {
    MPI_Barrier(comm);
    const double start = MPI_Wtime();
    MPI_Allreduce(MPI_IN_PLACE, v->data(), kFloats, MPI_FLOAT, MPI_SUM, comm);
    s = MPI_Wtime() - start;
  }
  MPI_Allreduce(MPI_IN_PLACE, seconds.data(), kTimed, MPI_DOUBLE, MPI_MAX, comm);
  return *std::min_element(seconds.begin(), seconds.end());
}

// True when every member of `comm` runs on this rank's machine.
bool one_machine(MPI_Comm comm) {
  const uint64_t mine = machine_id();
  uint64_t low = mine, high = mine;
  MPI_Allreduce(MPI_IN_PLACE, &low, 1, MPI_UINT64_T, MPI_MIN, comm);
  MPI_Allreduce(MPI_IN_PLACE, &high, 1, MPI_UINT64_T, MPI_MAX, comm);
  return low == high;
}

}  // namespace

void run_pair_bandwidth(const Mpi& mpi) {
  std::vector<float> buffer(kFloats, 1.0f);
  const auto rounds = pair_rounds(mpi.world);
  for (size_t r = 0; r < rounds.size(); ++r) {
    int color = MPI_UNDEFINED;
    const NodePair* mine = nullptr;
    for (size_t i = 0; i < rounds[r].size(); ++i)
      if (rounds[r][i].a == mpi.rank || rounds[r][i].b == mpi.rank) color = static_cast<int>(i), mine = &rounds[r][i];
    MPI_Comm pair = MPI_COMM_NULL;
    MPI_Comm_split(MPI_COMM_WORLD, color, mine && mine->a == mpi.rank ? 0 : 1, &pair);
    if (pair != MPI_COMM_NULL) {
      const bool shared = one_machine(pair);
      const double seconds = time_allreduce(&buffer, pair);
      if (mine->a == mpi.rank) {
        const double gbps = seconds > 0 ? static_cast<double>(kFloats) * sizeof(float) / seconds / 1e9 : 0;
        std::printf("%s\n", pair_result_line({r, *mine, gbps, shared}).c_str());
        std::fflush(stdout);
      }
      MPI_Comm_free(&pair);
    }
    MPI_Barrier(MPI_COMM_WORLD);  // the next round's pairs start together
  }
}

}  // namespace trn::native
