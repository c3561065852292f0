// What `run` does to heal its job (launcher/heal/heal.h), wired into its supervision of
// the backend:
//  - the time-limit warning (SIGUSR1, from `--signal=USR1@<grace>`): the native trainer
//    gets it, checkpoints and exits 143, then node 0 requeues the job; NxDT and
//    TorchNeuron have no use for it (no preemption callback), so it is held back and
//    node 0 requeues at once: they resume from their last periodic checkpoint;
//  - a hardware error in this node's backend output (conf/hardware_errors.yaml): one
//    line names the node and the line, the node reports itself bad and decides (it is
//    drained, the job requeued onto healthy nodes), and its backend is stopped;
//  - a run that makes no step progress for launch.hang_timeout dumps its ranks' stacks
//    and is stopped, its decision made first (launcher/heal/hang_response.h);
//  - after a failed or stopped backend, every task waits briefly for this run's
//    decision, so the task that decides is not killed by srun before it has;
//  - a requeued run says, once, why it runs again, and hands that to the backend
//    (TRN_TRAIN_RESTART_REASON, TRN_TRAIN_RESTART_NODES).
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>

#include "launcher/commands/supervise.h"
#include "launcher/heal/hang_response.h"
#include "launcher/heal/hardware_errors.h"
#include "launcher/heal/heal.h"

namespace trn {

struct Plan;
struct LoadedConfig;

class RunHealing {
 public:
  RunHealing(const Plan& p, const LoadedConfig& cfg);

  // The previous run's decision, when this run is a requeue: one console line (node 0)
  // and the variables the backend records it with.
  std::map<std::string, std::string> restart_env(int log_fd) const;

  // Adds what healing watches to the backend's supervision; its own lines also go to
  // the node's log, `log_fd`.
  void watch(SuperviseHooks* hooks, int log_fd);

  // After the backend ended: decides (the time limit) or waits for the decision; returns
  // the run's exit status.
  int finish(const SuperviseResult& r);

 private:
  bool on_tick(unsigned received);
  void act_on_hardware_error();

  const Plan& plan_;
  HealSite site_;
  bool decider_ = false;       // task 0: decides for the time limit
  bool enabled_ = false;       // a Slurm training run
  bool time_limit_seen_ = false;
  int log_fd_ = -1;
  std::optional<HardwareErrorMatcher> hardware_;  // this node's backend output, watched
  bool hardware_acted_ = false;
  HangWatch hang_;
};

}  // namespace trn
