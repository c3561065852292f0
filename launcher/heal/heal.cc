#include "launcher/heal/heal.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <thread>

#include "common/fs.h"
#include "common/hostlist.h"
#include "common/process_identity.h"
#include "common/program_output.h"
#include "launcher/plan/plan.h"

namespace trn {
namespace {

constexpr const char* kClaim = "claim";
constexpr const char* kDecision = "decision.json";
constexpr const char* kBadPrefix = "bad.";
constexpr size_t kMaxRecord = 64 * 1024;
// Slurm keeps a node's Reason short in sinfo; the full why is in decision.json.
constexpr size_t kMaxReason = 120;
// A claimer that died before deciding must not keep every other task waiting forever.
constexpr std::chrono::seconds kDecisionAfterClaim{60};

bool exists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

std::vector<BadNode> gather_bad_nodes(const std::string& dir) {
  std::vector<BadNode> bad;
  std::vector<std::string> names = list_dir(dir);
  std::sort(names.begin(), names.end());
  for (const auto& name : names) {
    if (name.rfind(kBadPrefix, 0) != 0 || name.find(".tmp.") != std::string::npos) continue;
    std::string why;
    if (!read_regular_file(dir + name, kMaxRecord, &why)) continue;
    while (!why.empty() && why.back() == '\n') why.pop_back();
    bad.push_back({name.substr(std::char_traits<char>::length(kBadPrefix)), why});
  }
  return bad;
}

// scontrol, its output kept for the decision's log line.
bool scontrol(const std::vector<std::string>& args, std::string* said) {
  std::vector<std::string> argv{"scontrol"};
  argv.insert(argv.end(), args.begin(), args.end());
  const ProgramOutput r = run_program(argv, true);
  std::string out = r.started ? r.out : r.why;
  while (!out.empty() && out.back() == '\n') out.pop_back();
  *said = out;
  return r.ok();
}

void drain(const BadNode& b, HealDecision* d, std::string* log) {
  const std::string reason = ("trn-train: " + b.why).substr(0, kMaxReason);
  std::string said;
  if (scontrol({"update", "NodeName=" + b.host, "State=DRAIN", "Reason=" + reason}, &said)) {
    d->drained.push_back(b.host);
  } else {
    d->excluded.push_back(b.host);
    *log += "cannot drain " + b.host + " (" + said + "); the requeued job excludes it\n";
  }
}

// Requeues the job, excluding what could not be drained; false and *why when Slurm refused.
bool requeue(const HealSite& site, const SlurmJob& job, const HealDecision& d, std::string* why) {
  if (d.excluded.empty()) return scontrol({"requeue", site.job_id}, why);
  if (!scontrol({"requeuehold", site.job_id}, why)) return false;
  std::string said;
  const bool excluded =
      scontrol({"update", "JobId=" + site.job_id, "ExcNodeList=" + merged_exclude(job.exc_nodes, d.excluded)}, &said);
  if (!scontrol({"release", site.job_id}, why)) return false;
  if (!excluded) *why = "requeued, but its node exclusion failed: " + said;
  return true;
}

void write_decision(const HealSite& site, const HealDecision& d) {
  std::string why;
  if (!write_file_atomic(site.dir + kDecision, decision_json(d), 0644, &why))
    std::fprintf(stderr, "trn-train: warning: cannot record the decision: %s\n", why.c_str());
}

}  // namespace

HealSite heal_site(const Plan& p, const LoadedConfig& cfg) {
  HealSite s;
  s.dir = p.restart_dir + "heal/";
  if (p.launch_kind == LaunchKind::kSlurm) s.job_id = p.job_id;
  s.restart = p.restart_count;
  s.max_restarts = cfg.launch.max_restarts;
  s.host = ProcessIdentity::self().host;
  return s;
}

std::optional<std::string> requeue_refusal(const SlurmJob& job, int restart, int max_restarts) {
  if (!job.found) return std::string("Slurm does not know the job");
  if (!job.batch) return std::string("not a batch job (only sbatch jobs can be requeued)");
  if (!job.requeue) return std::string("the job is not requeueable (submit it with --requeue)");
  if (restart >= max_restarts)
    return "it already ran " + std::to_string(restart + 1) + " times (launch.max_restarts = " +
           std::to_string(max_restarts) + ")";
  return std::nullopt;
}

std::string merged_exclude(const std::string& current, const std::vector<std::string>& more) {
  std::vector<std::string> all;
  HostList old;
  std::string why;
  if (!current.empty() && old.parse(current, &why)) all = old.expand();
  for (const auto& h : more)
    if (std::find(all.begin(), all.end(), h) == all.end()) all.push_back(h);
  return compress_hostlist(all);
}

void report_bad_node(const HealSite& site, const BadNode& bad) {
  std::string why;
  if (!make_dirs(site.dir, 0775, &why) || !write_file_atomic(site.dir + kBadPrefix + bad.host, bad.why + "\n", 0644, &why))
    std::fprintf(stderr, "trn-train: warning: cannot record bad node %s: %s\n", bad.host.c_str(), why.c_str());
}

std::optional<HealDecision> heal_job(const HealSite& site, HealReason reason, std::chrono::milliseconds settle) {
  std::string why;
  if (!make_dirs(site.dir, 0775, &why)) {
    std::fprintf(stderr, "trn-train: warning: cannot decide how to continue: %s\n", why.c_str());
    return std::nullopt;
  }
  if (!write_new_file(site.dir + kClaim, site.host + "\n", 0644, &why)) {
    if (errno != EEXIST) std::fprintf(stderr, "trn-train: warning: cannot claim the decision: %s\n", why.c_str());
    return std::nullopt;
  }
  std::this_thread::sleep_for(settle);  // the other nodes' findings of the same event
  HealDecision d;
  d.restart = site.restart, d.reason = reason, d.decided_by = site.host;
  d.bad = gather_bad_nodes(site.dir);
  if (!d.bad.empty()) d.reason = HealReason::kBadNode;
  std::string log;
  // Outside a Slurm job there is no node to drain and no job to requeue: the decision
  // only records the findings.
  if (!site.job_id.empty())
    for (const auto& b : d.bad) drain(b, &d, &log);
  SlurmJob job;
  std::optional<std::string> refusal = std::string("not a Slurm job");
  if (!site.job_id.empty()) {
    job = show_slurm_job(site.job_id, &why);
    refusal = job.found ? requeue_refusal(job, site.restart, site.max_restarts) : why;
  }
  d.requeued = !refusal;
  if (refusal) d.not_requeued = *refusal;
  write_decision(site, d);  // first: the requeue ends this process
  std::fprintf(stderr, "%strn-train: %s\n", log.c_str(), describe_decision(d, site.job_id).c_str());
  std::fflush(stderr);
  if (d.requeued && !requeue(site, job, d, &why)) {
    d.requeued = false;
    d.not_requeued = "scontrol refused the requeue: " + why;
    write_decision(site, d);
    std::fprintf(stderr, "trn-train: error: %s\n", d.not_requeued.c_str());
  }
  return d;
}

std::optional<HealDecision> wait_for_decision(const HealSite& site, std::chrono::milliseconds limit) {
  const auto start = std::chrono::steady_clock::now();
  for (;;) {
    std::string text, why;
    if (read_regular_file(site.dir + kDecision, kMaxRecord, &text)) {
      if (auto d = parse_decision(text, &why)) return d;
    }
    const auto waited = std::chrono::steady_clock::now() - start;
    if (waited > limit && (!exists(site.dir + kClaim) || waited > limit + kDecisionAfterClaim)) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

std::optional<HealDecision> read_decision(const std::string& job_dir, int restart) {
  std::string text, why;
  if (!read_regular_file(job_dir + "/" + std::to_string(restart) + "/heal/" + kDecision, kMaxRecord, &text))
    return std::nullopt;
  return parse_decision(text, &why);
}

}  // namespace trn
