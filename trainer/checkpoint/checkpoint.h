// The checkpoint folder of a run: checkpoint-<step>.bin files, each a whole checkpoint
// (trainer/checkpoint/checkpoint_format.h, written by rank 0) or, with ZeRO-1, the manifest of
// the ranks' shard files beside it (trainer/checkpoint/checkpoint_shards.h), each file published
// with common/fs's atomic write
// (temporary sibling, fsync, rename), the newest save_top_k kept. A resume takes
// the newest one that verifies and says which ones it refused, so a damaged or foreign
// newest file costs some steps, never a silent resume of garbage. One run writes a
// folder at a time (trainer/checkpoint/experiment_lock.h): the temporary files found when a
// run starts are a killed writer's.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/problem.h"
#include "trainer/checkpoint/checkpoint_format.h"
#include "trainer/checkpoint/checkpoint_shards.h"
#include "trainer/checkpoint/experiment_lock.h"

namespace trn::native {

// The file a checkpoint of `step` is written to.
std::string checkpoint_path(const std::string& dir, int step);

// Before step 1: creates `dir`, removes stale temporary files of killed writers and
// shard files whose manifest was never written (their names appended to *removed), and checks that a file can be created there
// and that the filesystem has room for one more checkpoint of `checkpoint_bytes`,
// so a read-only or full folder is found before training, not after. False with *problem.
// `held`: the experiment's lock (trainer/checkpoint/experiment_lock.h), the proof that no
// other run writes `dir`, so the temporaries found are a killed writer's, not a live one's.
bool prepare_checkpoint_dir(const std::string& dir, const ExperimentLock& held, uint64_t checkpoint_bytes,
                            std::vector<std::string>* removed, Problem* problem);

// Bytes of one checkpoint file for `id` (header included).
uint64_t checkpoint_file_bytes(const CheckpointIdentity& id);

// Writes checkpoint-<state.step>.bin atomically, then removes all but the newest
// `keep` (exp_manager.checkpoint_callback_params.save_top_k; -1 keeps all: the
// metric NxDT ranks by is the step, so the top k are the newest). "" or the error.
std::string save_checkpoint(const std::string& dir, const CheckpointIdentity& id, const TrainState& state,
                            long long keep);
// ZeRO-1, every rank: writes this rank's shard of step `step` (trainer/checkpoint/checkpoint_shards.h).
// "" or the error; *record is what rank 0 needs for the manifest.
std::string save_shard(const std::string& dir, int step, int rank, int ranks, Shard shard, const float* params,
                       const float* m, const float* v, ShardRecord* record);
// ZeRO-1, rank 0 once every rank's shard is written: publishes the manifest
// checkpoint-<step>.bin of `records` (in rank order), then prunes as save_checkpoint.
std::string save_manifest(const std::string& dir, const CheckpointIdentity& id, int step, long long consumed_samples,
                          const std::vector<ShardRecord>& records, long long keep);
// The checkpoint files of `dir`, newest first (names only).
std::vector<std::string> checkpoint_names(const std::string& dir);

struct ResumeResult {
  enum Kind { kFresh, kLoaded, kRefused } kind = kFresh;  // kRefused: checkpoints there, none usable
  std::string path;   // the one loaded
  Problems refused;   // newer (or all) files refused, one Problem each, newest first
};
// How a resume reads one checkpoint file: verifies and loads it into *state, or
// false with *problem. A ZeRO-1 run's reader has every rank read its slice.
using CheckpointReader = std::function<bool(const std::string& path, TrainState* state, Problem* problem)>;
// The reader of one process: the whole state (vectors sized for id) of either format.
CheckpointReader whole_checkpoint_reader(const CheckpointIdentity& id);
// Loads the newest checkpoint of `dir` that `read` accepts into *state; a run with no
// checkpoint file starts fresh. When an older one is loaded, the newer ones refused
// are renamed to <name>.refused (their shards stay beside them).
ResumeResult resume_checkpoint(const std::string& dir, const CheckpointReader& read, TrainState* state);
inline ResumeResult resume_checkpoint(const std::string& dir, const CheckpointIdentity& id, TrainState* state) {
  return resume_checkpoint(dir, whole_checkpoint_reader(id), state);
}

}  // namespace trn::native
