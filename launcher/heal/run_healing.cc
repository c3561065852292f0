#include "launcher/heal/run_healing.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>

#include "common/env_map.h"
#include "common/hostlist.h"
#include "launcher/commands/commands.h"
#include "launcher/plan/plan.h"

namespace trn {
namespace {

constexpr unsigned kTimeLimitBit = 1u << SIGUSR1;
// How long a task whose backend failed waits for some task to claim the decision, and,
// after the time-limit signal, for node 0 to finish its checkpoint and decide.
constexpr std::chrono::seconds kClaimWait{3}, kTimeLimitWait{120};
// How long the node that saw a hardware error waits for other nodes' findings of the
// same moment before it decides (a switch or a shared fault shows on several nodes).
constexpr std::chrono::seconds kBadNodeSettle{2};

}  // namespace

RunHealing::RunHealing(const Plan& p, const LoadedConfig& cfg)
    : plan_(p),
      site_(heal_site(p, cfg)),
      decider_(p.node_rank == 0 && p.local_rank == 0 && p.task_rank == 0),
      enabled_(!p.compile && !site_.job_id.empty()),
      hang_(p, site_, cfg.launch.hang_timeout, decider_) {
  if (enabled_) hardware_.emplace(load_hardware_errors(cfg.dir, load_site(current_environment())));
}

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
  log_fd_ = log_fd;
  if (plan_.backend != Backend::kNative) {
    hooks->held.push_back(SIGUSR1);
    hooks->on_output = [this, before = hooks->on_output](std::string_view chunk) {
      if (before) before(chunk);
      hang_.on_output(chunk);
    };
  }
  hang_.arm(log_fd);
  hooks->on_tick = [this](unsigned received) { return on_tick(received); };
  hooks->on_output = [this, chained = hooks->on_output](std::string_view chunk) {
    if (chained) chained(chunk);
    hardware_->feed(chunk);
  };
}

// This node is bad: said once, left for the decider, and decided here (the first claim
// wins; a requeue then ends every task of the run, this one included).
void RunHealing::act_on_hardware_error() {
  hardware_acted_ = true;
  const HardwareErrorMatch& m = *hardware_->match();
  const std::string line = "trn-train: node " + site_.host + ": hardware error (" + m.name + "): " + m.line + "\n";
  std::fputs(line.c_str(), stderr);
  std::fflush(stderr);
  if (log_fd_ >= 0 && ::write(log_fd_, line.data(), line.size()) < 0) {
    // the console has it
  }
  report_bad_node(site_, {site_.host, m.means + ": " + m.line});
  heal_job(site_, HealReason::kBadNode, kBadNodeSettle);
}

bool RunHealing::on_tick(unsigned received) {
  if (hardware_->match() && !hardware_acted_) {
    act_on_hardware_error();
    return true;  // a backend on a broken device is not left running
  }
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
  // The backend ended right after its error line, before a tick saw it.
  if (hardware_->match() && !hardware_acted_) act_on_hardware_error();
  const bool time_limit = (r.received & kTimeLimitBit) != 0;
  // A backend that finished its training before the signal mattered has nothing to resume.
  if (time_limit && decider_ && !time_limit_seen_ && r.status != 0) {
    // Native: the trainer checkpointed at the signal (rank 0 ends after every shard is
    // written) and stopped, so the requeued run resumes exactly here. A backend that
    // ended before on_tick saw the signal, or died of it, resumes its last checkpoint.
    time_limit_seen_ = true;
    heal_job(site_, HealReason::kTimeLimit, std::chrono::milliseconds(0));
    return r.status;
  }
  if (r.status == 0 && !r.stopped) return 0;
  wait_for_decision(site_, time_limit ? kTimeLimitWait : kClaimWait);
  return r.status;
}

}  // namespace trn
