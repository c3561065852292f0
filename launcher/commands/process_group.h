// What is left of the backend's process group once the backend itself has ended: the
// workers of an OOM-killed torchrun, a helper the trainer forked. Left alone they hold
// the Neuron devices and the job's ports until Slurm kills the step (or forever under
// another launcher); `run` stops them (launcher/commands/supervise.h).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>

namespace trn {

// Members of process group `pgid` that are running, read from /proc (zombies, which
// only wait to be reaped, are not counted); -1 when /proc cannot be read.
int running_in_group(pid_t pgid);

// Stopping a group: SIGTERM to all, SIGKILL to what is left after the grace period.
// Driven by step() from the caller's loop, so the group's last output is still read.
class GroupStop {
 public:
  // Counts the group's running members and sends them SIGTERM (nothing when none).
  GroupStop(pid_t pgid, std::chrono::milliseconds grace);
  // Advances: true once the group is empty, or a second after SIGKILL (a process in
  // uninterruptible sleep may take longer; it dies when it wakes).
  bool step();
  int found() const { return found_; }   // running when the backend ended (-1: unknown)
  int killed() const { return killed_; } // still running at SIGKILL
  // One line for the console and the log, "" when nothing was left.
  std::string report() const;

 private:
  pid_t pgid_;
  std::chrono::milliseconds grace_;
  std::chrono::steady_clock::time_point started_, killed_at_;
  int found_ = 0, killed_ = 0;
  bool done_ = false;
};

}  // namespace trn
