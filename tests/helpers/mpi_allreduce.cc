// Smoke test for MPI across the emulated Slurm nodes: every rank contributes
// (rank + 1); rank 0 checks the sum against n(n+1)/2 and prints the nodes seen.
#include <mpi.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <set>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank = 0, size = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);

  long contribution = rank + 1, sum = 0;
  MPI_Allreduce(&contribution, &sum, 1, MPI_LONG, MPI_SUM, MPI_COMM_WORLD);

  // Which Slurm node each rank ran on (SLURMD_NODENAME), gathered on rank 0.
  char node[64] = {0};
  const char* name = std::getenv("SLURMD_NODENAME");
  std::snprintf(node, sizeof node, "%s", name ? name : "?");
  std::vector<char> all(static_cast<size_t>(size) * sizeof node);
  MPI_Gather(node, sizeof node, MPI_CHAR, all.data(), sizeof node, MPI_CHAR, 0, MPI_COMM_WORLD);

  const long expected = static_cast<long>(size) * (size + 1) / 2;
  int rc = 0;
  if (rank == 0) {
    std::set<std::string> nodes;
    for (int r = 0; r < size; ++r) nodes.insert(&all[static_cast<size_t>(r) * sizeof node]);
    std::printf("allreduce ranks=%d nodes=%zu sum=%ld expected=%ld %s\n", size, nodes.size(), sum,
                expected, sum == expected ? "OK" : "MISMATCH");
    rc = sum == expected ? 0 : 1;
  }
  MPI_Bcast(&rc, 1, MPI_INT, 0, MPI_COMM_WORLD);
  MPI_Finalize();
  return rc;
}
