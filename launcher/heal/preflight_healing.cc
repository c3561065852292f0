#include "launcher/heal/preflight_healing.h"

#include <chrono>

#include "launcher/heal/slurm_job.h"

namespace trn {

std::vector<BadNode> preflight_bad_nodes(const std::vector<NodeRow>& rows) {
  std::vector<BadNode> bad;
  for (const auto& r : rows) {
    if (!r.bad()) continue;
    std::string why;
    for (size_t c = 0; c < kCheckCount; ++c) {
      const CheckCell& cell = r.cells[c];
      if (cell.status != CheckStatus::kFail) continue;
      why += std::string(why.empty() ? "preflight: " : "; ") + to_string(static_cast<Check>(c)) + ": " +
             (cell.detail.empty() ? cell.value : cell.detail);
    }
    bad.push_back({r.node, why});
  }
  return bad;
}

HealSite preflight_heal_site(const LaunchEnv& le, const std::string& log_dir, int max_restarts,
                             const std::string& host) {
  HealSite s;
  s.dir = log_dir + "/" + le.job_id + "/" + std::to_string(le.restart_count) + "/heal/";
  if (le.kind == LaunchKind::kSlurm) s.job_id = le.job_id;
  s.restart = le.restart_count;
  s.max_restarts = max_restarts;
  s.host = host;
  return s;
}

void heal_after_preflight(const HealSite& site, const std::vector<BadNode>& bad) {
  if (site.job_id.empty() || bad.empty()) return;
  // Only a job that would run again acts: a diagnostic job submitted --no-requeue (the
  // acceptance job) reports its bad nodes and leaves them to the admin.
  std::string why;
  const SlurmJob job = show_slurm_job(site.job_id, &why);
  if (!job.batch || !job.requeue) return;
  for (const auto& b : bad) report_bad_node(site, b);
  // Every finding is already here (node 0 read every row): no settle.
  heal_job(site, HealReason::kBadNode, std::chrono::milliseconds(0));
}

}  // namespace trn
