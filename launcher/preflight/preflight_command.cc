// How the rows meet without MPI: every node writes its row, atomically, as
// <log_dir>/<job>/<restart>/preflight.<step>/<node>.json, and node 0 waits (up to
// --timeout) for one file per node of the step. Chosen over collecting srun's output
// because the verdict must come from a process of the step itself (so `srun ...
// preflight && srun ... run` stops on a bad node), and over MPI/PMIx because a node
// whose MPI or network is what is broken must still be named: a node that never
// writes its row (down, hung, no shared filesystem) is reported as failed by its
// absence. The log folder is already the job's shared folder (the console logs and
// effective configs live there), and the folder name is unique per job, requeue and
// step, so no stale row is ever read.
#include "launcher/preflight/preflight_command.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <thread>

#include "common/config/search_path.h"
#include "common/fs.h"
#include "launcher/errors.h"
#include "common/hostlist.h"
#include "launcher/heal/preflight_healing.h"
#include "launcher/plan/input_files.h"
#include "launcher/preflight/collective_run.h"
#include "launcher/preflight/preflight_probe.h"
#include "launcher/preflight/preflight_report.h"

namespace trn {
namespace {

bool only_master_problems(const Problems& problems) {
  for (const auto& p : problems)
    if (p.key != "master_addr") return false;
  return !problems.empty();
}

std::string this_host(const EnvMap& env) {
  if (auto n = lookup(env, "SLURMD_NODENAME"); n && !n->empty()) return *n;
  char buf[256] = {0};
  gethostname(buf, sizeof buf - 1);
  return buf;
}

// The ports worth probing are those of the step that follows (what `submit` runs next
// in the same job), not this short step's own: plan as that step, deriving the
// root-comm port from the default range rather than keeping this step's plugin value.
EnvMap next_step_env(EnvMap env) {
  for (const char* key : {"SLURM_STEP_ID", "SLURM_STEPID"}) {
    auto it = env.find(key);
    if (it != env.end() && !it->second.empty() && it->second.size() < 10 &&
        it->second.find_first_not_of("0123456789") == std::string::npos)
      it->second = std::to_string(std::stoul(it->second) + 1);
  }
  env.erase("NEURON_RT_ROOT_COMM_ID");
  return env;
}

Expectation expect(const Plan& p, const LoadedConfig& cfg, const config::SiteConfig& site) {
  std::vector<std::string> dirs{cfg.dir};
  for (const auto& d : config::config_search_path(site)) dirs.push_back(d);
  const InstanceCatalog catalog = load_instance_catalog(config::find_in(dirs, "instances.yaml"));
  Expectation w = instance_expectation(catalog, p.instance);
  w.lnc = p.lnc;
  w.needs_neuron_sdk = p.backend != Backend::kNative;
  w.multi_node = p.nodes > 1;
  return w;
}

// Node 0: one row per node of the step, in node-rank order; a node whose row did not
// come within the timeout, or came torn, is a failed row saying so.
std::vector<NodeRow> gather(const std::string& dir, const HostList& hosts, int timeout_s) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  auto file_of = [&](size_t i) { return dir + "/" + hosts.at(i) + ".json"; };
  for (;;) {
    size_t present = 0;
    for (size_t i = 0; i < hosts.size(); ++i) present += access(file_of(i).c_str(), F_OK) == 0;
    if (present == hosts.size() || std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  std::vector<NodeRow> rows;
  for (size_t i = 0; i < hosts.size(); ++i) {
    std::string text, why;
    NodeRow row;
    if (!read_file(file_of(i), &text, &why)) {
      row = missing_row(hosts.at(i), static_cast<int>(i),
                        "no row in " + dir + " after " + std::to_string(timeout_s) +
                            " s: the node did not run preflight (down, hung, or the log folder is not shared)");
    } else if (!row_from_json(text, &row, &why)) {
      row = missing_row(hosts.at(i), static_cast<int>(i), file_of(i) + ": " + why);
    }
    rows.push_back(row);
  }
  return rows;
}

// Prints the table and the verdict; in a batch job, bad nodes are then taken out and the
// job requeued (launcher/heal/preflight_healing.h).
int report(std::vector<NodeRow> rows, const HealSite& site) {
  compare_rows(&rows);
  std::fputs(format_table(rows).c_str(), stdout);
  std::fputs(format_verdict(rows).c_str(), stdout);
  std::fflush(stdout);
  const std::vector<BadNode> bad = preflight_bad_nodes(rows);
  heal_after_preflight(site, bad);
  return bad.empty() ? 0 : 1;
}

// --collective, after the rows: every node runs the pairs it leads (collective_run.h),
// nccom-test on a Neuron plan, the native engine's MPI all-reduce on a native plan, both
// when both apply; node 0 prints one line per pair and the verdict naming the slow nodes.
// 1 when slow.
struct CollectiveTests {
  CollectiveSetup setup;
  bool nccom = false;
  std::string native_program;  // "": no MPI test
  bool any() const { return nccom || !native_program.empty(); }
};

int report_collective(const std::vector<PairResult>& results, const std::vector<std::string>& hosts,
                      const std::string& test) {
  const CollectiveVerdict v = judge_pairs(results, hosts, test);
  for (const auto& line : v.lines) std::printf("%s\n", line.c_str());
  const char* what = test.c_str();
  if (v.ok)
    std::printf("collective: ok: %zu pairs, %s\n", results.size(), what);
  else if (v.none_ran)
    std::printf("collective: FAIL: %s: no pair completed the test (above); no node is named\n", what);
  else if (v.slow_nodes.empty())
    std::printf("collective: FAIL: %s: a slow link (above), no node slow in every pair\n", what);
  else
    std::printf("collective: FAIL: %s: slow node(s): --exclude=%s\n", what, compress_hostlist(v.slow_nodes).c_str());
  std::fflush(stdout);
  return v.ok ? 0 : 1;
}

int collective_step(CollectiveTests t, const LaunchEnv& le, const config::SiteConfig& site, const std::string& dir) {
  CollectiveSetup& s = t.setup;
  s.dir = dir;
  s.rank = le.node_rank;
  s.hosts = le.hosts.expand();
  s.host_addresses = site.host_addresses;
  int rc = 0;
  if (t.nccom) {
    const std::vector<PairResult> results = run_collective_rounds(s);
    if (le.node_rank == 0) rc = std::max(rc, report_collective(results, s.hosts, "all-reduce (nccom-test)"));
  }
  if (!t.native_program.empty()) {
    const std::vector<PairResult> results = run_mpi_pairs(s, t.native_program, le.ntasks);
    if (le.node_rank == 0) rc = std::max(rc, report_collective(results, s.hosts, "MPI all-reduce (trn-train-native)"));
  }
  return rc;
}

}  // namespace

int preflight_command(const CommonOptions& opts, int timeout_s, bool collective) {
  const EnvMap env = current_environment();
  // One row per node: the other tasks of a node (srun without --ntasks-per-node=1) stand by.
  if (auto local = lookup(env, "SLURM_LOCALID"); local && *local != "0") return 0;
  const EnvMap next = next_step_env(env);
  const LaunchEnv le = detect_launch_env(env, opts.nodes);
  const std::string node = le.hosts.empty() ? this_host(env) : le.hosts.at(static_cast<size_t>(le.node_rank));
  const config::SiteConfig site = load_site(env);
  std::vector<std::string> overrides = opts.overrides;
  if (!opts.instance.empty()) overrides.push_back("launch.instance=" + opts.instance);
  const std::string conf = opts.conf.empty() ? lookup(env, "CONF_FILE").value_or("") : opts.conf;
  if (conf.empty()) throw InputError({{"CONF_FILE", "(unset)", "name a config: --conf NAME|PATH or export CONF_FILE=NAME"}});
  const LoadedConfig cfg = load_config(conf, overrides, site);

  NodeRow row;
  CollectiveTests pairs;  // --collective: which tests apply to this plan, and their setup
  try {
    LoadedConfig planned;
    const Plan p = build_plan(opts, next, &planned);
    const Expectation want = expect(p, planned, site);
    pairs.nccom = collective && want.neuron;
    if (collective && p.backend == Backend::kNative) pairs.native_program = p.command.at(0);
    // every NeuronCore of the node, whatever this config's processes per node
    pairs.setup.workers_per_node = want.neuron_cores / std::max(1, want.lnc);
    pairs.setup.port = p.root_comm_port;
    const auto root = lookup(env, "TRN_TRAIN_NODE_ROOT");
    NodeFacts facts = probe_node(p, want, root && !root->empty() ? *root : "/", env);
    facts.node = node;
    row = check_node(facts, want);
    // The files the job reads, on this node (a filesystem not mounted here fails this row).
    if (const Problems missing = check_input_files(planned, node); !missing.empty()) {
      std::string detail;
      for (const Problem& m : missing) detail += (detail.empty() ? "" : "; ") + m.str();
      row.at(Check::kPlan) = {CheckStatus::kFail, "files", detail};
    }
  } catch (const InputError& e) {
    // The same config fails the same way on every node: bad input, exit 2 everywhere.
    // Only the master address is the node's own (its resolver): a failed row.
    if (!only_master_problems(e.problems())) throw;
    NodeFacts facts;
    facts.node = node;
    facts.rank = le.node_rank;
    facts.plan_error = e.problems().front().str();
    row = check_node(facts, Expectation{});
  }
  const HealSite heal = preflight_heal_site(le, cfg.launch.log_dir, cfg.launch.max_restarts, node);
  if (le.nodes < 2 || le.hosts.empty()) return report({row}, heal);

  const std::string dir = cfg.launch.log_dir + "/" + le.job_id + "/" + std::to_string(le.restart_count) +
                          "/preflight." + (le.step_id.empty() ? "0" : le.step_id);
  std::string why;
  if (!make_dirs(dir, 0755, &why) || !write_file_atomic(dir + "/" + node + ".json", row_to_json(row), 0644, &why)) {
    std::fprintf(stderr, "trn-train: preflight: %s: cannot leave this node's row: %s\n", node.c_str(), why.c_str());
    return 1;
  }
  if (le.node_rank != 0) {
    // Node 0 reports; a bad node also says so itself, in case node 0 never reads it.
    if (row.bad())
      std::fprintf(stderr, "trn-train: preflight: %s failed (node 0 prints the table):\n%s", node.c_str(),
                   format_table({row}).c_str());
    if (pairs.any()) collective_step(pairs, le, site, dir);
    return row.bad() ? 1 : 0;
  }
  const int rows = report(gather(dir, le.hosts, timeout_s), heal);
  return pairs.any() ? std::max(rows, collective_step(pairs, le, site, dir)) : rows;
}

}  // namespace trn
