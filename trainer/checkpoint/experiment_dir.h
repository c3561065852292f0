// The experiment folder, resolved as NeMo's exp_manager (which NxDT uses) resolves
// its log_dir, so a run's files are where an NxDT user looks for them:
//   exp_manager.explicit_log_dir set     -> that folder
//   else <exp_dir>/<name>/<version>      exp_dir: exp_manager.exp_dir, else ./nemo_experiments
//                                        name: exp_manager.name, else the top-level name, else "default"
//                                        version: exp_manager.version, else $NEMO_EXPM_VERSION (the
//                                        launcher's job id, the same after a requeue), else none when
//                                        resume_if_exists (NeMo makes no version folder then), else the
//                                        start time (%Y-%m-%d_%H-%M-%S)
// It holds (rank 0 writes it):
//   checkpoints/checkpoint-<step>.bin    every every_n_train_steps and at the end; save_top_k kept
//   events.out.tfevents.<time>.<host>    TensorBoard scalars (one file per run of the experiment)
//   metrics.jsonl                        the same numbers, one object per logged step
//   hparams.yaml                         the effective config (overrides applied), as NeMo writes it
//   cmd-args.log                         the command line of each run, appended (NeMo writes it too)
//   experiment.lock                      held by the run writing the folder (experiment_lock.h)
#pragma once

#include <string>
#include <vector>

#include "common/config/training.h"

namespace trn::native {

struct ExperimentDir {
  std::string log_dir;
  std::string checkpoint_dir;  // <log_dir>/checkpoints
  std::string version;         // the progress line's v_num ("0" when there is none)
};

// Pure: `env_version` is $NEMO_EXPM_VERSION ("" if unset), `now` the start time stamp.
ExperimentDir resolve_experiment_dir(const config::TrainingConfig& t, const std::string& env_version,
                                     const std::string& now);

// Writes hparams.yaml (the effective config) and appends the command line to
// cmd-args.log. Call after the checkpoint folder was prepared. "" or the error.
std::string record_experiment(const ExperimentDir& e, const std::string& effective_config,
                              const std::vector<std::string>& argv);

}  // namespace trn::native
