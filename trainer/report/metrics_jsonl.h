// <experiment>/metrics.jsonl: one JSON object per logged step (and per validation),
// appended and flushed as the run goes, so `jq`, pandas or a plotting script read the
// same numbers the progress line shows. A requeued run appends to the same file;
// steps redone after a resume appear again (the later line wins).
//   {"step":10,"epoch":0,"consumed_samples":80,"reduced_train_loss":3.91,"loss":4.02,
//    "lr":0.003,"grad_norm":1.2,"parameter_norm":25.3,"throughput":512.1,
//    "tokens_per_sec":16387,"elapsed_s":0.2,"wall_time":1764000000.1}
// plus "val_loss" when a validation ran at that step.
#pragma once

#include <string>

#include "trainer/report/step_metrics.h"

namespace trn::native {

// Pure: the line for `m` (no newline); training keys only when `train` (a validation
// at a step that is not a log step writes step and val_loss alone).
std::string metrics_json(const StepMetrics& m, bool train, double wall_time);

// The file, appended one whole line at a time (issue 18: a full disk cut a line, and
// later lines followed the cut one). A line that cannot be written whole (ENOSPC, EDQUOT,
// EFBIG, EIO) is taken back to the previous length, so readers see whole lines only; the
// first failure is said once on stderr (the path and the cause) and the run goes on:
// training and its checkpoints matter more than the metrics, which TensorBoard and the
// log also carry. Later lines are tried again (they follow whole lines: each has its
// step); if a cut cannot be taken back (ftruncate refused), nothing more is written.
// At the end (the destructor) a file that misses lines is said again, with the count.
class MetricsJsonl {
 public:
  MetricsJsonl() = default;
  MetricsJsonl(const MetricsJsonl&) = delete;
  MetricsJsonl& operator=(const MetricsJsonl&) = delete;
  ~MetricsJsonl();
  std::string open(const std::string& path);  // "" or the error
  void add(const StepMetrics& m, bool train);

 private:
  void failed(int err, long long step);
  int fd_ = -1;
  std::string path_;
  long long lines_ = 0, missing_ = 0, first_missing_step_ = 0;
  std::string first_error_;
  bool stopped_ = false;  // a cut line could not be taken back: write no more after it
};

}  // namespace trn::native
