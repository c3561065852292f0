// Out of a hang (issue 21), the pure part: when a run has made no step progress for too
// long, and whether this node is to blame. launcher/heal/hang_response.h feeds it (the
// ranks' progress records, /proc, the backend's output) and acts on it.
//
// The limit, launch.hang_timeout seconds:
//  - set (> 0): that long without a completed step; before the run's first step at
//    least kStartFloor, since startup (MPI wire-up, loading compiled graphs, opening the
//    dataset) is not a step and is not measured by one;
//  - 0 (auto): max(kAutoFloor, kStepFactor x the longest gap seen between two
//    completed steps), kStartFloor before the first step. A step's time varies with
//    validation and checkpoints (both fall inside a gap, so they count); 20 x the
//    worst gap seen leaves room for one slower than any yet, and 10 minutes keeps a run
//    of sub-second steps from calling a long checkpoint of a big model a hang.
// Each node measures its own ranks' progress; ranks of a data-parallel run complete
// their steps together (every step ends in collectives), so the nodes agree to within
// a step.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/progress_record.h"

namespace trn {

inline constexpr double kAutoFloor = 600, kStartFloor = 1800, kStepFactor = 20;

// The limit in seconds for launch.hang_timeout = `configured` (0: auto).
double hang_limit(int configured, bool first_step_done, double longest_gap);

// How long the node that claims the decision waits for the other nodes' findings: the
// nodes notice the hang up to one step's gap apart.
double blame_settle(double longest_gap);

// The node's progress over time: the highest step any of its ranks completed.
class ProgressClock {
 public:
  explicit ProgressClock(double start) : last_progress_(start) {}
  // The step now (-1: none yet); `now` in monotonic seconds.
  void observe(long long step, double now);
  bool first_step_done() const { return steps_seen_ > 0; }
  double longest_gap() const { return longest_gap_; }
  double since_progress(double now) const { return now - last_progress_; }
  long long step() const { return step_; }
  bool hung(int configured, double now) const;

 private:
  long long step_ = -1;
  int steps_seen_ = 0;  // increases observed
  double last_progress_;
  double longest_gap_ = 0;
};

// One rank of this node at the hang, as /proc and its progress record say.
struct RankSnapshot {
  int rank = 0;    // -1: a process of a backend that publishes no ranks (nxdt, torchneuron)
  long pid = 0;
  char state = 0;  // /proc/<pid>/stat's state: R, S, D, T, t, Z...; 0: the process is gone
  std::optional<ProgressPhase> phase;  // nullopt: the backend publishes none (nxdt, torchneuron)
};

// Why this node is to blame for the hang, or nullopt: a rank stopped (T, t), in
// uninterruptible sleep (D: a device or file system that does not answer), gone or a
// zombie, or computing while the node's other ranks wait in a collective (it never
// reaches the collective they wait in). A node whose ranks all wait in collectives
// waits for some other node: it does not blame itself.
std::optional<std::string> node_blame(const std::vector<RankSnapshot>& ranks);

// A process as /proc/<pid>/stat says ("pid (comm) state ppid pgrp ...", comm may hold
// anything, ')' included); nullopt for text that is not one.
struct ProcStat {
  long pid = 0, ppid = 0, pgrp = 0;
  char state = 0;
};
std::optional<ProcStat> parse_proc_stat(const std::string& text);

// The step NxDT's progress bar shows (Lightning's `global_step=12.000` in every
// refresh of its tqdm line, on the console of every node); chunks as read, split
// anywhere.
class NxdtStepParser {
 public:
  void feed(std::string_view chunk);
  long long step() const { return step_; }  // -1: none seen

 private:
  std::string tail_;  // the end of the last chunk, when it might be the start of a match
  long long step_ = -1;
};

}  // namespace trn
