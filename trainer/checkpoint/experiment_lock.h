// One run per experiment folder (issue 18). Two runs writing one folder deleted each
// other's in-flight checkpoint temporaries as a killed writer's, or mixed their
// checkpoints. Rank 0 holds <log_dir>/experiment.lock for the whole run: the compile
// cache's cluster lock (cache/cluster_lock.h: an owner record linked into place, a
// heartbeat every 2 s, on NFS too), so the lock of a run that was killed (SIGKILL, a
// lost node) is taken over once it has not been touched for 30 s, and a second run
// while the first lives is refused with the holder named. The folder's cleanup of
// leftover temporaries (prepare_checkpoint_dir) takes the lock as proof it is held.
#pragma once

#include <memory>
#include <string>

#include "cache/cluster_lock.h"
#include "common/problem.h"

namespace trn::native {

struct LockedExperiment;
// Creates log_dir and takes its lock. A held lock is watched for a heartbeat: one seen
// refuses the run at once (within about two heartbeats); none for `timing.stale_s`
// means the holder is dead and its lock is taken over (said on stdout while waiting).
LockedExperiment lock_experiment(const std::string& log_dir, const LockTiming& timing = LockTiming{});

// Held: only lock_experiment makes one.
class ExperimentLock {
 public:
  ExperimentLock(const ExperimentLock&) = delete;
  ExperimentLock& operator=(const ExperimentLock&) = delete;
  const std::string& path() const { return lock_.path(); }

 private:
  friend LockedExperiment lock_experiment(const std::string& log_dir, const LockTiming& timing);
  ExperimentLock(const std::string& path, const LockTiming& timing) : lock_(path, timing) {}
  cache::ClusterLock lock_;  // released by its destructor, at the end of the run
};

struct LockedExperiment {
  std::unique_ptr<ExperimentLock> lock;  // null: refused, see problems
  Problems problems;
  std::string note;  // a killed run's lock taken over: whose (stdout)
};

}  // namespace trn::native
