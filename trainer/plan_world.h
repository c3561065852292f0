// The MPI world against the launcher's plan. `trn-train run` execs the trainer with
// WORLD_SIZE (the plan's world size) and, for per-worker launches, RANK (the task's
// global rank). Tasks that srun starts without PMIx each get a world of one from
// MPI_Init and would all train alone into the same folder; this comparison stops them
// before any data is read.
#pragma once

#include <optional>
#include <string>

#include "common/problem.h"

namespace trn::native {

// Pure: a Problem for a WORLD_SIZE or RANK (unset or "": not compared) that is not a
// whole number or differs from MPI's world size or rank.
Problems plan_world_problems(const std::optional<std::string>& world_size, const std::optional<std::string>& rank,
                             int mpi_world, int mpi_rank);

}  // namespace trn::native
