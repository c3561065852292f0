#include "trainer/mpi/zero1_collectives.h"

#include <mpi.h>

#include <climits>
#include <string>

#include "trainer/report/progress_beacon.h"

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
  InCollective in;
  const Layout l = layout_of(sizes);
  mine->resize(sizes[my_rank()]);
  MPI_Reduce_scatter(full.data(), mine->data(), l.counts.data(), MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
}

void allgather_slices(std::vector<float>* full, const std::vector<size_t>& sizes) {
  InCollective in;
  const Layout l = layout_of(sizes);
  MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_FLOAT, full->data(), l.counts.data(), l.displs.data(), MPI_FLOAT,
                 MPI_COMM_WORLD);
}

double allreduce_sum(double x) {
  InCollective in;
  MPI_Allreduce(MPI_IN_PLACE, &x, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
  return x;
}

std::vector<std::string> gather_text(const std::string& mine) {
  InCollective in;
  int world = 1, size = static_cast<int>(mine.size());
  MPI_Comm_size(MPI_COMM_WORLD, &world);
  std::vector<int> sizes(static_cast<size_t>(world)), displs(static_cast<size_t>(world));
  MPI_Gather(&size, 1, MPI_INT, sizes.data(), 1, MPI_INT, 0, MPI_COMM_WORLD);
  int total = 0;
  for (int r = 0; r < world; ++r) displs[static_cast<size_t>(r)] = total, total += sizes[static_cast<size_t>(r)];
  std::string all(my_rank() == 0 ? static_cast<size_t>(total) : 0, '\0');
  MPI_Gatherv(mine.data(), size, MPI_CHAR, all.data(), sizes.data(), displs.data(), MPI_CHAR, 0, MPI_COMM_WORLD);
  std::vector<std::string> out;
  if (my_rank() == 0)
    for (int r = 0; r < world; ++r)
      out.push_back(all.substr(static_cast<size_t>(displs[static_cast<size_t>(r)]),
                               static_cast<size_t>(sizes[static_cast<size_t>(r)])));
  return out;
}

void bcast_text(std::string* text, int root) {
  InCollective in;
  int size = static_cast<int>(text->size());
  MPI_Bcast(&size, 1, MPI_INT, root, MPI_COMM_WORLD);
  text->resize(static_cast<size_t>(size));
  MPI_Bcast(text->data(), size, MPI_CHAR, root, MPI_COMM_WORLD);
}

int lowest_rank_with(bool flag) {
  InCollective in;
  int rank = flag ? my_rank() : INT_MAX;
  MPI_Allreduce(MPI_IN_PLACE, &rank, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
  return rank == INT_MAX ? -1 : rank;
}

}  // namespace trn::native
