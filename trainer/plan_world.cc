#include "trainer/plan_world.h"

#include <charconv>

namespace trn::native {
namespace {

constexpr const char* kPmixFix =
    "the tasks did not join one MPI world: start the tasks with PMIx: srun --mpi=pmix, or set MpiDefault=pmix in "
    "slurm.conf";

// One variable against MPI's value: `what` names MPI's side ("world size", "rank").
void compare(const char* name, const std::optional<std::string>& planned, int mpi_value, const std::string& what,
             Problems* problems) {
  if (!planned || planned->empty()) return;
  long long value = -1;
  const char* end = planned->data() + planned->size();
  const auto [at, ec] = std::from_chars(planned->data(), end, value);
  if (ec != std::errc() || at != end || value < 0) {
    problems->push_back({name, *planned,
                         "must be a whole number (trn-train run sets it to the plan's " + what +
                             "): unset it, or start the trainer with trn-train run"});
  } else if (value != mpi_value) {
    problems->push_back({name, *planned + " (the plan's; MPI's " + what + " is " + std::to_string(mpi_value) + ")",
                         kPmixFix});
  }
}

}  // namespace

Problems plan_world_problems(const std::optional<std::string>& world_size, const std::optional<std::string>& rank,
                             int mpi_world, int mpi_rank) {
  Problems problems;
  compare("WORLD_SIZE", world_size, mpi_world, "world size", &problems);
  compare("RANK", rank, mpi_rank, "rank", &problems);
  return problems;
}

}  // namespace trn::native
