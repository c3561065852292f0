#include "launcher/heal/run_healing.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>

#include "common/hostlist.h"
#include "launcher/plan/plan.h"

namespace trn {
namespace {

constexpr unsigned kTimeLimitBit = 1u << SIGUSR1;
// How long a task whose backend failed waits for some task to claim the decision, and,
// after the time-limit signal, for node 0 to finish its checkpoint and decide.
constexpr std::chrono::seconds kClaimWait{3}, kTimeLimitWait{120};

}  // namespace

RunHealing::RunHealing(const Plan& p, const LoadedConfig& cfg)
    : plan_(p),
      site_(heal_site(p, cfg)),
      decider_(p.node_rank == 0 && p.local_rank == 0 && p.task_rank == 0),
      enabled_(!p.compile && !site_.job_id.empty()),
      hang_(p, site_, cfg.launch.hang_timeout, decider_) {}

std::map<std::string, std::string> RunHealing::restart_env(int log_fd) const {
  if (!enabled_ || plan_.restart_count == 0) return {};
  const std::string job_dir = plan_.restart_dir.substr(0, plan_.restart_dir.rfind('/', plan_.restart_dir.size() - 2));
  const auto d = read_decision(job_dir, plan_.restart_count - 1);
  const std::string line = "trn-train: restart " + std::to_string(plan_.restart_count) + " of job " + plan_.job_id +
                           ": " + (d ? describe_decision(*d, plan_.job_id) : "the previous run recorded no decision "
                                                                           "(Slurm requeued it: a node failed, or "
                                                                           "scontrol requeue by hand)") + "\n";
  if (decider_) std::fputs(line.c_str(), stderr);
  if (::write(log_fd, line.data(), line.size()) < 0) {
    // the console has it
  }
  std::vector<std::string> nodes;
  if (d) for (const auto& b : d->bad) nodes.push_back(b.host);
  return {{"TRN_TRAIN_RESTART_REASON", d ? to_string(d->reason) : "requeued"},
          {"TRN_TRAIN_RESTART_NODES", compress_hostlist(nodes)}};
}

void RunHealing::watch(SuperviseHooks* hooks, int log_fd) {
  if (!enabled_) return;
  if (plan_.backend != Backend::kNative) {
    hooks->held.push_back(SIGUSR1);
    hooks->on_output = [this, before = hooks->on_output](std::string_view chunk) {
      if (before) before(chunk);
      hang_.on_output(chunk);
    };
  }
  hang_.arm(log_fd);
  hooks->on_tick = [this](unsigned received) { return on_tick(received); };
}

bool RunHealing::on_tick(unsigned received) {
  // NxDT / TorchNeuron: the signal is ours alone; node 0 requeues now, and the requeue
  // ends every task of the run (their last periodic checkpoint is what resumes).
  if ((received & kTimeLimitBit) && !time_limit_seen_ && plan_.backend != Backend::kNative) {
    time_limit_seen_ = true;
    if (decider_) heal_job(site_, HealReason::kTimeLimit, std::chrono::milliseconds(0));
  }
  return hang_.on_tick();
}

int RunHealing::finish(const SuperviseResult& r) {
  if (!enabled_) return r.status;
  const bool time_limit = (r.received & kTimeLimitBit) != 0;
  if (time_limit && plan_.backend == Backend::kNative && decider_ && r.status == 143) {
    // The trainer checkpointed at the signal (rank 0 ends after the others' shards are
    // written) and stopped: requeue from here.
    heal_job(site_, HealReason::kTimeLimit, std::chrono::milliseconds(0));
    return r.status;
  }
  if (r.status == 0 && !r.stopped) return 0;
  wait_for_decision(site_, time_limit ? kTimeLimitWait : kClaimWait);
  return r.status;
}

}  // namespace trn
