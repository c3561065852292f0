#include "launcher/heal/hang_response.h"

#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "common/fs.h"
#include "common/process_identity.h"
#include "common/program_output.h"
#include "launcher/commands/backend_programs.h"
#include "launcher/plan/plan.h"

namespace trn {
namespace {

// How long the stacks get to reach the log before the decision (which may requeue the
// job, and a requeue ends every step at once).
constexpr double kDumpGrace = 2;
// A node that blames nothing waits this long past the settle for the run's decision
// before it stops its backend anyway (node 0 never decided: no Slurm job, a dead node 0).
constexpr double kDecisionWait = 90;
// How often the progress is read (supervise ticks every 200 ms, and at every output chunk).
constexpr double kReadEvery = 0.2;
// In the run's heal folder: the first node to find the hang, and why.
constexpr const char* kHangMarker = "hang";

std::optional<ProcStat> read_proc_stat(long pid) {
  std::string text;
  if (!read_regular_file("/proc/" + std::to_string(pid) + "/stat", 4096, &text, nullptr, nullptr, Links::kFollow))
    return std::nullopt;
  return parse_proc_stat(text);
}

// Every process of `pgrp` (the backend's group: torchrun and its workers).
std::vector<ProcStat> group_members(long pgrp) {
  std::vector<ProcStat> out;
  for (const auto& name : list_dir("/proc")) {
    if (name.empty() || name[0] < '1' || name[0] > '9') continue;
    if (auto s = read_proc_stat(std::atol(name.c_str())); s && s->pgrp == pgrp) out.push_back(*s);
  }
  std::sort(out.begin(), out.end(), [](const ProcStat& a, const ProcStat& b) { return a.pid < b.pid; });
  return out;
}

// The backend: run's one child that leads its own group (supervise starts it so).
long backend_group() {
  const long me = ::getpid();
  for (const auto& name : list_dir("/proc")) {
    if (name.empty() || name[0] < '1' || name[0] > '9') continue;
    if (auto s = read_proc_stat(std::atol(name.c_str())); s && s->ppid == me && s->pgrp == s->pid) return s->pid;
  }
  return 0;
}

std::string seconds(double s) { return std::to_string(static_cast<long long>(s + 0.5)) + " s"; }

}  // namespace

HangWatch::HangWatch(const Plan& p, const HealSite& site, int configured, bool decider)
    : plan_(p), site_(site), configured_(configured), decider_(decider), native_(p.backend == Backend::kNative) {}

HangWatch::~HangWatch() {
  if (!dir_.empty()) remove_tree(dir_);
}

void HangWatch::arm(int log_fd) {
  log_fd_ = log_fd;
  clock_ = ProgressClock(mono_seconds());
  stage_ = Stage::kWatching;
  if (!native_) return;
  // Node-local and private (mkdtemp: 0700, a new name), named after the run and the task
  // so that two jobs, or two runs of one job, never share it.
  const char* tmp = std::getenv("TMPDIR");
  std::string name = std::string(tmp && *tmp ? tmp : "/tmp") + "/trn-train-progress." + plan_.job_id + "." +
                     std::to_string(plan_.restart_count) + "." + (plan_.step_id.empty() ? "0" : plan_.step_id) + "." +
                     std::to_string(plan_.node_rank) + "." + std::to_string(plan_.local_rank) + ".XXXXXX";
  if (!::mkdtemp(name.data())) {
    say("trn-train: warning: no hang detection on this node: cannot make " + name + ": " + std::strerror(errno) + "\n");
    stage_ = Stage::kOff;
    return;
  }
  dir_ = name;
  ::setenv(kProgressDirVariable, dir_.c_str(), 1);
}

void HangWatch::on_output(std::string_view chunk) {
  if (!native_) parser_.feed(chunk);
}

std::vector<RankSnapshot> HangWatch::snapshot() const {
  std::vector<RankSnapshot> ranks;
  if (native_) {
    for (const auto& r : read_progress_records(dir_)) {
      const auto s = read_proc_stat(r.pid);
      ranks.push_back({r.rank, r.pid, s ? s->state : '\0', static_cast<ProgressPhase>(r.phase)});
    }
  } else if (const long group = backend_group()) {
    for (const auto& s : group_members(group)) ranks.push_back({-1, s.pid, s.state, std::nullopt});
  }
  return ranks;
}

void HangWatch::dump_stacks(const std::vector<RankSnapshot>& ranks) {
  if (!native_) {
    if (find_program("py-spy", std::getenv("PATH") ? std::getenv("PATH") : "").empty()) {
      say("trn-train: py-spy is not installed on " + site_.host + ": no Python stacks (pip install py-spy)\n");
      return;
    }
    for (const auto& r : ranks) {
      // --nonblocking: py-spy reads the process without stopping it (a stuck one too).
      const ProgramOutput out = run_program({"py-spy", "dump", "--nonblocking", "--pid", std::to_string(r.pid)}, true);
      say("trn-train: py-spy dump --pid " + std::to_string(r.pid) + " on " + site_.host + ":\n" +
          (out.started ? out.out : out.why + "\n"));
    }
    return;
  }
  for (const auto& r : ranks) {
    const std::string who = "rank " + std::to_string(r.rank) + " (pid " + std::to_string(r.pid) + ") on " + site_.host;
    if (r.state == 0 || r.state == 'Z') {
      say("trn-train: " + who + " is gone: no stack\n");
      continue;
    }
    // To the main thread (its tid is the pid): the one that trains.
    ::syscall(SYS_tgkill, static_cast<pid_t>(r.pid), static_cast<pid_t>(r.pid), SIGUSR2);
    if (r.state == 'T') {
      stopped_.push_back(r.pid);
      say("trn-train: " + who + " was stopped (state T): SIGCONT follows the SIGUSR2 in " + seconds(kDumpGrace) +
          " (once the other nodes have dumped theirs) so it prints its stack\n");
    }
  }
}

bool HangWatch::decided(double now) {
  const std::string job_dir = plan_.restart_dir.substr(0, plan_.restart_dir.rfind('/', plan_.restart_dir.size() - 2));
  return read_decision(job_dir, site_.restart).has_value() ||
         now - decided_at_ > blame_settle(clock_.longest_gap()) + kDecisionWait;
}

// The first node to find the hang says so in the run's heal folder; every other node
// dumps its stacks as soon as it sees that, whatever its own clock says, so that all
// stacks show the hang (a stopped rank's SIGCONT may end it a moment later).
bool HangWatch::hang_found(double now) {
  const double limit = hang_limit(configured_, clock_.first_step_done(), clock_.longest_gap());
  const std::string marker = site_.dir + kHangMarker;
  std::string why, found_by;
  if (clock_.hung(configured_, now)) {
    found_by = "no step progress on " + site_.host + " for " + seconds(clock_.since_progress(now)) + " (limit " +
               seconds(limit) + (configured_ > 0 ? ", launch.hang_timeout" : ", automatic") + "; last step " +
               (clock_.step() < 0 ? std::string("none") : std::to_string(clock_.step())) + ")";
    if (!make_dirs(site_.dir, 0775, &why) || !write_file_atomic(marker, found_by + "\n", 0644, &why))
      say("trn-train: warning: cannot tell the other nodes of the hang: " + why + "\n");
  } else if (::access(marker.c_str(), F_OK) != 0 || !read_regular_file(marker, 4096, &found_by)) {
    return false;
  }
  while (!found_by.empty() && found_by.back() == '\n') found_by.pop_back();
  say("trn-train: " + found_by + ": dumping the stacks of " + site_.host + "'s ranks\n");
  return true;
}

bool HangWatch::on_tick() {
  const double now = mono_seconds();
  switch (stage_) {
    case Stage::kOff: return false;
    case Stage::kWatching: {
      if (now - read_at_ < kReadEvery) return false;  // on_tick comes with every output chunk too
      read_at_ = now;
      long long step = parser_.step();
      if (native_)
        for (const auto& r : read_progress_records(dir_)) step = std::max<long long>(step, r.step);
      clock_.observe(step, now);
      // A torchneuron script that never prints a progress line is not watched.
      if (plan_.backend == Backend::kTorchNeuron && !clock_.first_step_done()) return false;
      if (!hang_found(now)) return false;
      const std::vector<RankSnapshot> ranks = snapshot();
      blame_ = node_blame(ranks);
      say("trn-train: " + site_.host +
          (blame_ ? " is to blame: " + *blame_ : std::string(": its ranks wait for another node")) + "\n");
      if (blame_) report_bad_node(site_, {site_.host, "hang: " + *blame_});
      dump_stacks(ranks);
      stage_ = Stage::kDumped, dumped_at_ = now;
      return false;
    }
    case Stage::kDumped: {
      if (now - dumped_at_ < kDumpGrace) return false;
      if (!stopped_.empty()) {  // the other nodes have dumped theirs: now the stopped ranks may answer
        for (long pid : stopped_) ::kill(static_cast<pid_t>(pid), SIGCONT);
        stopped_.clear();
        dumped_at_ = now;
        return false;
      }
      // The decider waits longer than a stopped rank takes to answer (above): the requeue
      // ends every step at once.
      const double settle = blame_settle(clock_.longest_gap()) + (blame_ ? 0 : 2 * kDumpGrace);
      const std::chrono::milliseconds settle_ms(static_cast<long long>(settle * 1000));
      std::optional<HealDecision> d;
      if (blame_) d = heal_job(site_, HealReason::kBadNode, settle_ms);
      else if (decider_) d = heal_job(site_, HealReason::kHang, settle_ms);
      stage_ = Stage::kDecided, decided_at_ = mono_seconds();
      return d.has_value() || decided(decided_at_);
    }
    case Stage::kDecided: return decided(now);
  }
  return false;
}

void HangWatch::say(const std::string& line) const {
  std::fputs(line.c_str(), stderr);
  std::fflush(stderr);
  if (log_fd_ >= 0 && ::write(log_fd_, line.data(), line.size()) < 0) {
    // the console has it
  }
}

}  // namespace trn
