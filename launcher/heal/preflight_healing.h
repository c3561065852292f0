// `trn-train preflight` inside a requeueable batch job (what `trn-train submit` runs before
// training, issue 21): node 0, having found bad nodes, takes them out and requeues the
// job (launcher/heal/heal.h), so that the same job runs again on healthy nodes (spares,
// or ParallelCluster's replacements) instead of failing, or landing on the same nodes
// when requeued by hand. Bounded by launch.max_restarts: past it, preflight fails the
// job as before. Outside a batch job (srun by hand, salloc, a shell), or in one submitted
// --no-requeue (the acceptance job), preflight only reports: there is nothing to
// requeue, and draining a node is then the admin's call.
#pragma once

#include <string>
#include <vector>

#include "common/launch_env.h"
#include "launcher/heal/heal.h"
#include "launcher/preflight/preflight_checks.h"

namespace trn {

// Pure: each bad row as a BadNode whose why names its failed checks
// ("preflight: devices: 15 of 16 ...; sdk: ...").
std::vector<BadNode> preflight_bad_nodes(const std::vector<NodeRow>& rows);

// Where preflight's findings go: the heal folder of the job's restart that `run` uses.
HealSite preflight_heal_site(const LaunchEnv& le, const std::string& log_dir, int max_restarts,
                             const std::string& host);

// Node 0 after the verdict: in a requeueable batch job, reports each bad node and decides (drain +
// requeue; the requeue ends this step); elsewhere nothing.
void heal_after_preflight(const HealSite& site, const std::vector<BadNode>& bad);

}  // namespace trn
