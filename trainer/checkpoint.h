// Checkpoints of the native engine: parameters, AdamW moments and the step, in one
// file published with common/fs's atomic write (temporary sibling, fsync, rename over
// checkpoint.bin), so a crash or a Slurm requeue mid-write leaves the previous
// checkpoint intact.
#pragma once

#include <string>
#include <vector>

#include "common/problem.h"

namespace trn::native {

struct TrainState {
  int step = 0;  // optimizer steps completed
  std::vector<float> params, m, v;
};

// Returns an empty string on success, else what went wrong (path and cause).
std::string save_checkpoint(const std::string& dir, const TrainState& state);
// Loads dir/checkpoint.bin into *state (sizes must match). Sets *found=false when
// there is no checkpoint (a fresh start). A present but unusable one (foreign,
// another model shape, truncated) is bad input: false with *problem naming the file.
bool load_checkpoint(const std::string& dir, TrainState* state, bool* found, Problem* problem);

}  // namespace trn::native
