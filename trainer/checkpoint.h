// Checkpoints of the native engine: parameters, AdamW moments and the step, in one
// file written to a temporary name, fsync'd and renamed over checkpoint.bin, so a
// crash or a Slurm requeue mid-write leaves the previous checkpoint intact.
#pragma once

#include <string>
#include <vector>

namespace trn::native {

struct TrainState {
  int step = 0;  // optimizer steps completed
  std::vector<float> params, m, v;
};

// Returns an empty string on success, else what went wrong (path and cause).
std::string save_checkpoint(const std::string& dir, const TrainState& state);
// Loads dir/checkpoint.bin into *state (sizes must match). Sets *found=false when
// there is no checkpoint (a fresh start); a present but unreadable one is an error.
std::string load_checkpoint(const std::string& dir, TrainState* state, bool* found);

}  // namespace trn::native
