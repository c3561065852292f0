// The sbatch lines of `trn-train submit`, as a pure function of the validated Plan, so
// the lines per backend are unit-tested without Slurm (submit_command.cc runs them).
#pragma once

#include <string>
#include <vector>

#include "launcher/commands/commands.h"

namespace trn {

struct SubmitJobs {
  std::vector<std::string> compile_job;  // sbatch argv; empty: no compile job
  std::vector<std::string> train_job;    // sbatch argv; empty: --compile-only
  bool chained = false;                  // the train job waits for the compile job (afterok)
  std::vector<std::string> notes;        // said on stdout (--dry-run: as `# ` comment lines)
};

// Throws InputError for --compile-only of a backend without a compile job (torchneuron).
// `self` is the trn-train the jobs run.
SubmitJobs submit_jobs(const Plan& p, const LoadedConfig& cfg, const CommonOptions& opts, const std::string& self,
                       bool compile_only, bool train_only);

// What --dry-run prints: the notes as comments, then one shell line per job
// (COMPILE_JOB_ID=$(...) and $COMPILE_JOB_ID when chained).
std::vector<std::string> dry_run_lines(const SubmitJobs& jobs);

}  // namespace trn
