#include "trainer/checkpoint/experiment_lock.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <thread>

#include "common/fs.h"
#include "common/process_identity.h"

namespace trn::native {
namespace {

constexpr const char* kLockName = "experiment.lock";
constexpr double kPollS = 0.2;

std::string seconds_text(double s) { return std::to_string(static_cast<long long>(s + 0.5)) + " s"; }

}  // namespace

LockedExperiment lock_experiment(const std::string& log_dir, const LockTiming& timing) {
  LockedExperiment out;
  const std::string fix_folder = "give exp_manager.explicit_log_dir (or exp_dir) a folder this user can write to";
  std::string error;
  if (!make_dirs(log_dir, 0755, &error)) {
    out.problems.push_back({log_dir, "(cannot be created: " + error + ")", fix_folder});
    return out;
  }
  std::unique_ptr<ExperimentLock> lock(new ExperimentLock(log_dir + "/" + kLockName, timing));
  cache::LockWatch watch(timing);
  std::string first_seen;  // the holder's record and heartbeat when first seen
  const double start = mono_seconds();
  bool waiting_said = false;
  for (;;) {
    const cache::LockAttempt a = cache::acquire_or_take_over(lock->lock_, watch);
    if (a.acquired) {
      if (a.broke_stale)
        out.note = "experiment: took over " + lock->path() + " from " + a.holder.owner.describe() +
                   ", whose run stopped (no heartbeat for " + seconds_text(std::max(a.holder.idle_s, a.holder.age_s)) +
                   ")";
      out.lock = std::move(lock);
      return out;
    }
    if (!a.error.empty()) {
      out.problems.push_back({log_dir, "(cannot be locked: " + a.error + ")", fix_folder});
      return out;
    }
    if (!a.holder.exists) {  // released between our attempt and the look: try again
      std::this_thread::sleep_for(std::chrono::duration<double>(kPollS));
      continue;
    }
    const std::string seen = a.holder.owner.raw + "@" + std::to_string(a.holder.mtime_ns);
    if (first_seen.empty()) first_seen = seen;
    // A heartbeat (or a new holder) since we first looked: a live run. So is one that
    // stays unchanged but not stale past the longest a takeover can need (a clock far
    // ahead on the holder's host): never wait without end.
    if (seen != first_seen || mono_seconds() - start > 2 * timing.stale_s + timing.heartbeat_s) {
      out.problems.push_back(
          {log_dir, "(in use by " + a.holder.owner.describe() + ")",
           "another run writes this experiment folder (lock " + lock->path() +
               "): wait for it to end, or give this run another exp_manager.name, version or explicit_log_dir; the "
               "lock of a run that was killed is taken over once untouched for " + seconds_text(timing.stale_s)});
      return out;
    }
    if (!waiting_said && mono_seconds() - start > 2 * timing.heartbeat_s) {
      std::printf("experiment: %s is held by %s, untouched for %s: taking it over once untouched for %s\n",
                  lock->path().c_str(), a.holder.owner.describe().c_str(), seconds_text(a.holder.age_s).c_str(),
                  seconds_text(timing.stale_s).c_str());
      std::fflush(stdout);
      waiting_said = true;
    }
    std::this_thread::sleep_for(std::chrono::duration<double>(kPollS));
  }
}

}  // namespace trn::native
