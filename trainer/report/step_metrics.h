// What one optimizer step reports: the numbers the progress line, the JSONL file and
// the TensorBoard events all show, computed once by the training loop (rank 0).
#pragma once

#include <cmath>
#include <string>

namespace trn::native {

struct StepMetrics {
  long long step = 0;              // optimizer steps completed (NxDT's global_step)
  long long max_steps = 0;
  long long epoch = 0;             // passes over the training split completed
  long long consumed_samples = 0;  // training samples consumed, all ranks together
  double reduced_train_loss = 0;   // this step's loss, averaged over ranks and micro-batches
  double loss = 0;                 // Lightning's "loss": the mean over the last 20 steps
  double lr = 0;
  double grad_norm = 0;            // before clipping
  double parameter_norm = 0;
  double val_loss = NAN;           // NaN: no validation at this step
  double elapsed_s = 0;            // since this run (not the experiment) started training
  double seconds_per_step = 0;     // mean over this run's steps
  double seq_per_s = 0, tokens_per_s = 0;
  std::string v_num;               // the experiment version (NEMO_EXPM_VERSION), "0" if none
};

}  // namespace trn::native
