// The checkpoint folder of a run (rank 0 reads and writes it): checkpoint-<step>.bin
// files (trainer/checkpoint_format.h), each published with common/fs's atomic write
// (temporary sibling, fsync, rename), the newest save_top_k kept. A resume takes
// the newest one that verifies and says which ones it refused, so a damaged or foreign
// newest file costs some steps, never a silent resume of garbage. One run writes a
// folder at a time: the temporary files found when a run starts are a killed writer's.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/problem.h"
#include "trainer/checkpoint_format.h"

namespace trn::native {

// The file a checkpoint of `step` is written to.
std::string checkpoint_path(const std::string& dir, int step);

// Before step 1: creates `dir`, removes stale temporary files of killed writers
// (their names appended to *removed), and checks that a file can be created there
// and that the filesystem has room for one more checkpoint of `checkpoint_bytes`,
// so a read-only or full folder is found before training, not after. False with *problem.
bool prepare_checkpoint_dir(const std::string& dir, uint64_t checkpoint_bytes, std::vector<std::string>* removed,
                            Problem* problem);

// Bytes of one checkpoint file for `id` (header included).
uint64_t checkpoint_file_bytes(const CheckpointIdentity& id);

// Writes checkpoint-<state.step>.bin atomically, then removes all but the newest
// `keep` (exp_manager.checkpoint_callback_params.save_top_k; -1 keeps all: the
// metric NxDT ranks by is the step, so the top k are the newest). "" or the error.
std::string save_checkpoint(const std::string& dir, const CheckpointIdentity& id, const TrainState& state,
                            long long keep);
// The checkpoint files of `dir`, newest first (names only).
std::vector<std::string> checkpoint_names(const std::string& dir);

struct ResumeResult {
  enum Kind { kFresh, kLoaded, kRefused } kind = kFresh;  // kRefused: checkpoints there, none usable
  std::string path;   // the one loaded
  Problems refused;   // newer (or all) files refused, one Problem each, newest first
};
// Loads the newest checkpoint of `dir` that verifies against `id` into *state
// (vectors sized for id); a run with no checkpoint file starts fresh. When an older
// one is loaded, the newer ones refused are renamed to <name>.refused.
ResumeResult resume_checkpoint(const std::string& dir, const CheckpointIdentity& id, TrainState* state);

}  // namespace trn::native
