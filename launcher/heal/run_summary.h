// `trn-train status`: a job across its restarts, from what its runs left in
// logs/<job>/ (pure parts here; launcher/commands/status_command.cc reads the files):
// each run's last progress line (node 0's console log: the step, loss and tokens/s the
// progress bar printed, native and NxDT alike) and its decision (launcher/heal/heal.h).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "launcher/heal/heal_record.h"

namespace trn {

struct ProgressPoint {
  long long step = 0;
  std::optional<double> loss;            // reduced_train_loss (else loss)
  std::optional<double> tokens_per_s;    // tokens_per_sec
};

// Pure: the progress bar's fields of one console line ("... reduced_train_loss=1.44,
// global_step=826.000, ..., tokens_per_sec=2316]"); nullopt for any other line.
std::optional<ProgressPoint> parse_progress_line(const std::string& line);
// Pure: the last progress point in a log's text.
std::optional<ProgressPoint> last_progress(const std::string& log_text);

struct RunFacts {
  int restart = 0;
  int nodes = 0;                        // node folders of the run
  std::optional<ProgressPoint> progress;
  std::optional<HealDecision> decision;
};

// Pure: the table `trn-train status` prints, and its JSON form.
std::string summary_table(const std::string& job_id, const std::vector<RunFacts>& runs);
std::string summary_json(const std::string& job_id, const std::vector<RunFacts>& runs);

}  // namespace trn
