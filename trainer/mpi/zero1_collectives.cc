#include "trainer/mpi/zero1_collectives.h"

#include <mpi.h>

#include <climits>
#include <string>

namespace trn::native {
namespace {

struct Layout {
  std::vector<int> counts, displs;
};

Layout layout_of(const std::vector<size_t>& sizes) {
  Layout l;
  int at = 0;
  for (size_t s : sizes) {
    l.counts.push_back(static_cast<int>(s));
    l.displs.push_back(at);
    at += static_cast<int>(s);
  }
  return l;
}

int my_rank() {
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  return rank;
}

}  // namespace

Problems zero1_problems(size_t n) {
  if (n <= static_cast<size_t>(INT_MAX)) return {};
  return {{"distributed_strategy.zero1", "true (" + std::to_string(n) + " parameters)",
           "the ZeRO-1 collectives address at most 2^31-1 parameters: set distributed_strategy.zero1: false"}};
}

void reduce_scatter_sum(const std::vector<float>& full, const std::vector<size_t>& sizes, std::vector<float>* mine) {
  const Layout l = layout_of(sizes);
  mine->resize(sizes[my_rank()]);
  MPI_Reduce_scatter(full.data(), mine->data(), l.counts.data(), MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
}

void allgather_slices(std::vector<float>* full, const std::vector<size_t>& sizes) {
  const Layout l = layout_of(sizes);
  MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_FLOAT, full->data(), l.counts.data(), l.displs.data(), MPI_FLOAT,
                 MPI_COMM_WORLD);
}

void gather_slices(const std::vector<float>& mine, const std::vector<size_t>& sizes, std::vector<float>* full) {
  const Layout l = layout_of(sizes);
  MPI_Gatherv(mine.data(), static_cast<int>(mine.size()), MPI_FLOAT, full->data(), l.counts.data(), l.displs.data(),
              MPI_FLOAT, 0, MPI_COMM_WORLD);
}

void scatter_slices(const std::vector<float>& full, const std::vector<size_t>& sizes, std::vector<float>* mine) {
  const Layout l = layout_of(sizes);
  mine->resize(sizes[my_rank()]);
  MPI_Scatterv(full.data(), l.counts.data(), l.displs.data(), MPI_FLOAT, mine->data(), static_cast<int>(mine->size()),
               MPI_FLOAT, 0, MPI_COMM_WORLD);
}

double allreduce_sum(double x) {
  MPI_Allreduce(MPI_IN_PLACE, &x, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
  return x;
}

}  // namespace trn::native
