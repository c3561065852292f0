// Where a training run starts: fresh, from the experiment's own newest good
// checkpoint (a requeue, a longer run), or from a checkpoint named by
// exp_manager.resume_from_checkpoint, whole or, with model.weight_init_only, its
// weights alone (continual pre-training: optimizer, step and data position fresh).
// The experiment's own checkpoints win over resume_from_checkpoint, so a requeued
// continual-pre-training job resumes its own progress instead of starting over.
#pragma once

#include <string>
#include <vector>

#include "common/problem.h"
#include "trainer/model/adamw.h"
#include "trainer/checkpoint/checkpoint.h"
#include "trainer/mpi/mpi_world.h"
#include "trainer/train_settings.h"

namespace trn::native {

struct StartPoint {
  int step = 0;                   // optimizer steps already done
  long long consumed_samples = 0;  // the data position
};

struct StartNotes {
  std::vector<std::string> said;    // stdout lines (what was loaded, stale files removed)
  std::vector<std::string> warned;  // stderr warnings (checkpoints refused, fallen back from)
  bool optimizer_reset = false;     // model.weight_init_only: the loaded AdamW state was zeroed
};

// Reads (never changes) a checkpoint file, or the newest file of a checkpoints folder
// that `read` accepts. False with Problems keyed by `key` (the option or config key).
bool read_newest_checkpoint(const std::string& from, const std::string& key, const CheckpointReader& read,
                            TrainState* state, std::string* path, Problems* problems);
inline bool read_newest_checkpoint(const std::string& from, const std::string& key, const CheckpointIdentity& id,
                                   TrainState* state, std::string* path, Problems* problems) {
  return read_newest_checkpoint(from, key, whole_checkpoint_reader(id), state, path, problems);
}

// Rank 0's part (no MPI), holding the experiment's lock: prepares the checkpoint folder
// and loads into *state (holding the fresh initialisation) through `read`. Problems:
// the run must not start (printed by the caller, exit 2).
Problems load_start_state(const TrainSettings& s, const ExperimentLock& held, const CheckpointIdentity& id,
                          const CheckpointReader& read, TrainState* state, StartNotes* notes);

// All ranks. Without ZeRO-1 rank 0 loads and everyone receives the state (works
// without a shared filesystem). With it, rank 0 picks the checkpoint and reads the
// parameters, and every rank reads its own slice of AdamW m and v from the shards
// that hold it (a shared folder, as its saves need), so no rank holds the full
// optimizer state. The state moves in and out of the model and optimizer, never
// copied. `held`: rank 0's lock of the experiment (null on the other ranks). False:
// refused, already reported.
bool restore_training_state(const Mpi& mpi, const TrainSettings& s, const ExperimentLock* held,
                            const CheckpointIdentity& id, Llama* model, AdamW* opt, StartPoint* start);

}  // namespace trn::native
