// <experiment>/metrics.jsonl: one JSON object per logged step (and per validation),
// appended and flushed as the run goes, so `jq`, pandas or a plotting script read the
// same numbers the progress line shows. A requeued run appends to the same file;
// steps redone after a resume appear again (the later line wins).
//   {"step":10,"epoch":0,"consumed_samples":80,"reduced_train_loss":3.91,"loss":4.02,
//    "lr":0.003,"grad_norm":1.2,"parameter_norm":25.3,"throughput":512.1,
//    "tokens_per_sec":16387,"elapsed_s":0.2,"wall_time":1764000000.1}
// plus "val_loss" when a validation ran at that step. A requeued run (launcher/heal/)
// first writes one line for its restart:
//   {"restart":1,"reason":"time-limit","nodes":"","resumed_from_step":826,"wall_time":...}
#pragma once

#include <string>

#include "trainer/report/step_metrics.h"
#include "trainer/report/whole_records.h"

namespace trn::native {

// Pure: the line for `m` (no newline); training keys only when `train` (a validation
// at a step that is not a log step writes step and val_loss alone).
std::string metrics_json(const StepMetrics& m, bool train, double wall_time);

// What a requeued run records of its start (trn-train run hands the reason over).
struct RestartRecord {
  int restart = 0;         // SLURM_RESTART_COUNT
  std::string reason;      // "time-limit" | "bad-node" | "hang" | "requeued" (no decision recorded)
  std::string nodes;       // the nodes found bad, a host list ("" for none)
  long long resumed_from_step = 0;
};
std::string restart_json(const RestartRecord& r, double wall_time);

// The file, one whole line per logged step (trainer/report/whole_records.h: a full disk
// never leaves a cut line, and is said once and again at the end).
class MetricsJsonl {
 public:
  std::string open(const std::string& path) { return file_.open(path); }  // "" or the error
  void add(const StepMetrics& m, bool train);
  void add_restart(const RestartRecord& r);

 private:
  WholeRecordFile file_{"metrics", "lines"};
};

}  // namespace trn::native
