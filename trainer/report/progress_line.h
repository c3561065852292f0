// The progress line NxDT users know (PyTorch Lightning's tqdm bar with NxDT's metrics):
//   Epoch 0:   3%|▎         | 3/91 [16:05<7:52:06, 321.89s/it, loss=6.7, v_num=2,
//   reduced_train_loss=13.40, lr=7.5e-9, parameter_norm=5536.0, global_step=3.000,
//   consumed_samples=3072.0, throughput=3.2, tokens_per_sec=13107]
// (one line; val_loss joins it once a validation ran). On a terminal the line is
// redrawn in place every step; in a log file (the launcher tees the output to the
// node log) it is printed once per trainer.log_every_n_steps, one line each, so a
// log greps like NxDT's.
#pragma once

#include <string>

#include "trainer/report/step_metrics.h"

namespace trn::native {

// Pure: the line for `m` (no newline, no carriage return).
std::string progress_line(const StepMetrics& m);
// tqdm's number format (format_num): the shorter of %.3g and the shortest exact form.
std::string tqdm_number(double v);
// tqdm's duration format: M:SS under an hour, else H:MM:SS.
std::string tqdm_interval(double seconds);

class ProgressPrinter {
 public:
  explicit ProgressPrinter(bool terminal) : terminal_(terminal) {}
  // A step ended: redraw (terminal) or, on a log step, print a line.
  void step(const StepMetrics& m, bool log_step);
  // Any other line: on a terminal it goes below the bar, which is redrawn next step.
  void line(const std::string& text);
  ~ProgressPrinter();

 private:
  bool terminal_;
  bool drawn_ = false;  // the cursor is at the end of a bar (terminal only)
};

}  // namespace trn::native
