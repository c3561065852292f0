// A job that heals itself on plain Slurm (issue 21): when a run must end early — the
// time limit is near, a node is broken, the job hangs — exactly one task of the run
// decides what happens next, and every other task waits for that decision before it
// ends (so srun's --kill-on-bad-exit cannot kill the decider half-way):
//
//   1. a task that finds a node bad leaves `bad.<host>` in logs/<job>/<restart>/heal/;
//   2. the first task to create `claim` (O_EXCL, on the shared log folder) decides: it
//      waits `settle` for the other nodes' findings, drains each bad node
//      (`scontrol update NodeName=X State=DRAIN Reason="trn-train: ..."`) where this
//      user may, records `decision.json`, prints one line, and requeues the job
//      (`scontrol requeue`; when a bad node could not be drained: `requeuehold`, the
//      node added to the job's ExcNodeList, `release`), so the same job id — hence the
//      same experiment folder — runs again on healthy nodes and resumes;
//   3. no requeue when Slurm would not (not a batch job, submitted --no-requeue) or
//      the job already ran launch.max_restarts times: the decision says why.
// The requeue ends this run (Slurm signals every step), so the decision is written
// before it is asked for.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "launcher/heal/heal_record.h"
#include "launcher/heal/slurm_job.h"

namespace trn {

struct Plan;
struct LoadedConfig;

struct HealSite {
  std::string dir;       // logs/<job>/<restart>/heal/
  std::string job_id;    // Slurm's; "" outside a Slurm job (nothing to requeue)
  int restart = 0;       // SLURM_RESTART_COUNT of this run
  int max_restarts = 10;
  std::string host;      // this node
};
HealSite heal_site(const Plan& p, const LoadedConfig& cfg);

// Pure: why this job must not be requeued, or nullopt when it may.
std::optional<std::string> requeue_refusal(const SlurmJob& job, int restart, int max_restarts);
// Pure: the job's ExcNodeList with `more` added (a host list expression).
std::string merged_exclude(const std::string& current, const std::vector<std::string>& more);

// Leaves this task's finding for the decider (best effort: a log folder that cannot be
// written is said on stderr; the decision then names fewer nodes).
void report_bad_node(const HealSite& site, const BadNode& bad);

// Claims and makes this run's decision; nullopt when another task has claimed it.
std::optional<HealDecision> heal_job(const HealSite& site, HealReason reason, std::chrono::milliseconds settle);

// This run's decision once it is recorded, waiting up to `limit` for it when some task
// has claimed it (or claims it within `limit`); nullopt when none comes.
std::optional<HealDecision> wait_for_decision(const HealSite& site, std::chrono::milliseconds limit);

// The decision of run `restart` of the job whose restart folders lie in `job_dir`
// (logs/<job>/), nullopt when it made none.
std::optional<HealDecision> read_decision(const std::string& job_dir, int restart);

}  // namespace trn
