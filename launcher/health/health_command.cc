// Why Slurm is told through scontrol (and not the C API): slurmd runs a
// HealthCheckProgram as root with no environment; scontrol is what the admin would run
// and reads the same slurm.conf (SLURM_CONF, else its built-in path), so the command
// needs no Slurm library at run time and a test cluster steers it with SLURM_CONF.
#include "launcher/health/health_command.h"

#include <unistd.h>

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>

#include "common/config/cache_location.h"
#include "common/config/search_path.h"
#include "common/program_output.h"
#include "common/size_text.h"
#include "launcher/commands/commands.h"
#include "launcher/errors.h"
#include "launcher/health/health_probe.h"
#include "launcher/plan/config_loader.h"
#include "launcher/plan/instance_resolution.h"
#include "launcher/preflight/preflight_probe.h"

namespace trn {
namespace {

constexpr const char* kTool = "trn-train";
// slurmd starts HealthCheckProgram with an empty environment: where scontrol, fi_info
// and rpm live on the nodes we know (ParallelCluster's /opt/slurm, EFA's /opt/amazon/efa).
constexpr const char* kDefaultPath =
    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/opt/slurm/bin:/opt/amazon/efa/bin";

struct HealthOptions {
  std::string instance, node, state_dir = kHealthStateDir, cache_dir, min_free = "1G";
  bool no_drain = false, accept_counters = false;
  VersionPins pins;
};

// A program's standard output (argv, no shell: the reason holds any text), or nullopt
// with *why when it could not run or failed.
std::optional<std::string> run_capture(const std::vector<std::string>& argv, std::string* why) {
  ProgramOutput r = run_program(argv, false);
  if (r.ok()) return std::move(r.out);
  *why = !r.started ? argv[0] + ": " + r.why
                    : argv[0] + " " + argv[1] + " failed (exit " + std::to_string(r.status) + ")";
  return std::nullopt;
}

std::string this_node(const HealthOptions& o, const EnvMap& env) {
  if (!o.node.empty()) return o.node;
  if (auto n = lookup(env, "SLURMD_NODENAME"); n && !n->empty()) return *n;
  char buf[256] = {0};
  gethostname(buf, sizeof buf - 1);
  const std::string host = buf;
  return host.substr(0, host.find('.'));
}

// Drains or resumes this node as decide_node_action says; false (said on stderr) when
// Slurm could not be asked or told.
bool tell_slurm(const std::string& node, const HealthVerdict& v) {
  std::string why;
  const auto shown = run_capture({"scontrol", "show", "node", "-o", node}, &why);
  SlurmNodeState state;
  if (!shown || !parse_scontrol_node(*shown, &state)) {
    std::fprintf(stderr, "%s: health: cannot ask Slurm about node %s: %s; name the node with --node, or --no-drain\n",
                 kTool, node.c_str(), shown ? "no such node" : why.c_str());
    return false;
  }
  const std::string reason = v.drain_reason();
  const NodeAction action = decide_node_action(v.healthy(), state, reason);
  if (action == NodeAction::kNone) {
    if (!v.healthy() && state.reason != reason)
      std::printf("health: %s: already drained by someone else (%s): left as it is\n", node.c_str(), state.reason.c_str());
    return true;
  }
  std::vector<std::string> argv{"scontrol", "update", "NodeName=" + node};
  if (action == NodeAction::kDrain) argv.insert(argv.end(), {"State=DRAIN", "Reason=" + reason});
  else argv.push_back("State=RESUME");
  if (!run_capture(argv, &why)) {
    std::fprintf(stderr, "%s: health: %s\n", kTool, why.c_str());
    return false;
  }
  std::printf("health: %s: %s\n", node.c_str(), action == NodeAction::kDrain ? "drained" : "resumed (was drained by trn-train health)");
  return true;
}

// The catalog's expectation for this node's instance: --instance, else what the node
// itself says, else the site file's `instance`; a node that names none is judged only
// on what applies to every node (cache, open files).
Expectation node_expectation(const HealthOptions& o, const config::SiteConfig& site, const std::string& root,
                             std::string* unresolved) {
  std::vector<std::string> dirs = config::config_search_path(site);
  const std::string catalog_path = config::find_in(dirs, "instances.yaml");
  if (catalog_path.empty()) throw InputError({{"instances.yaml", "(not found)", "install conf/instances.yaml"}});
  const InstanceCatalog catalog = load_instance_catalog(catalog_path);
  if (!o.instance.empty() && !catalog.find(o.instance))
    throw InputError({{"--instance", o.instance, "unknown instance type; known: " + catalog.names()}});
  InstanceFacts facts;
  facts.configured = o.instance;
  facts.node = read_node_instance(root);
  facts.site = &site;
  Problems problems;
  const InstanceChoice choice = resolve_instance(facts, catalog, &problems);
  if (choice.name.empty()) *unresolved = problems.empty() ? "the node names no instance type" : problems.front().str();
  return instance_expectation(catalog, choice.name);
}

void print_verdict(const std::string& node, const HealthVerdict& v) {
  for (const auto& l : v.lines) {
    std::printf("health: %s: %-9s %-4s %s\n", node.c_str(), l.check.c_str(), to_string(l.cell.status),
                l.cell.value.c_str());
    if (!l.cell.detail.empty()) std::printf("health: %s:   %s\n", node.c_str(), l.cell.detail.c_str());
  }
}

int run_health(const HealthOptions& o) {
  if (const char* path = std::getenv("PATH"); !path || !*path) ::setenv("PATH", kDefaultPath, 1);
  const EnvMap env = current_environment();
  uint64_t min_free = 0;
  if (!parse_size(o.min_free, &min_free))
    throw InputError({{"--min-cache-free", o.min_free, "write a size such as 1G, 500M or 2T"}});
  const config::SiteConfig site = load_site(env);
  const auto root_env = lookup(env, "TRN_TRAIN_NODE_ROOT");
  const std::string root = root_env && !root_env->empty() ? *root_env : "/";
  std::string unresolved;
  Expectation want = node_expectation(o, site, root, &unresolved);
  want.min_cache_free = min_free;
  want.warn_cache_free = std::max(want.warn_cache_free, min_free);
  Problems problems;
  config::CacheSources sources = cache_sources(nullptr, site);
  sources.explicit_dir = o.cache_dir;
  const CacheSettings cache = config::resolve_cache_settings(sources, env, &problems);
  if (!problems.empty()) throw InputError(problems);

  const std::string node = this_node(o, env);
  HealthFacts f;
  f.node.node = node;
  probe_hardware(root, want, &f.node);
  probe_cache(cache, &f.node);
  f.runtime_version = read_runtime_version(root);
  f.counters = read_error_counters(root);
  const std::string state = health_state_path(o.state_dir, node);
  f.have_baseline = load_health_state(state, &f.baseline, &f.state_error);
  HealthVerdict v = judge_health(f, want, o.accept_counters, o.pins);
  if (!unresolved.empty()) v.lines.front().cell = {CheckStatus::kWarn, "?", unresolved};
  std::string why;
  if (f.state_error.empty() && !save_health_state(state, node, v.next_baseline, &why))
    v.lines.back().cell = {CheckStatus::kWarn, v.lines.back().cell.value, "cannot keep the counts: " + why};
  print_verdict(node, v);
  const bool told = o.no_drain || tell_slurm(node, v);
  std::printf("health: %s: %s\n", node.c_str(), v.healthy() ? "ok" : ("FAIL: " + v.drain_reason()).c_str());
  return v.healthy() && told ? 0 : 1;
}

}  // namespace

void add_health_command(CLI::App& app, int* exit_code) {
  auto o = std::make_shared<HealthOptions>();
  auto* cmd = app.add_subcommand("health", "Check this node (devices, error counters, driver, runtime, EFA, cache "
                                           "space, open files); drain it on failure, resume it once healthy "
                                           "(Slurm's HealthCheckProgram)");
  cmd->add_option("--instance", o->instance, "Instance type to judge against (default: what the node says, else the "
                                             "site file's instance)");
  cmd->add_option("--node", o->node, "Slurm node name (default $SLURMD_NODENAME, else the short host name)");
  cmd->add_option("--state-dir", o->state_dir, std::string("Where the last run's error counts are kept (default ") +
                                                   kHealthStateDir + ")");
  cmd->add_option("--cache-dir", o->cache_dir, "Compile cache whose filesystem must have room (default: the site "
                                               "file's cache_root, as `trn-train cache` resolves it)");
  cmd->add_option("--min-cache-free", o->min_free, "Free space below which the node fails (default 1G)");
  cmd->add_option("--driver", o->pins.driver, "Neuron driver version every node must run (2.19 pins 2.19.x)");
  cmd->add_option("--runtime", o->pins.runtime, "aws-neuronx-runtime-lib version every node must run");
  cmd->add_flag("--no-drain", o->no_drain, "Report only: do not drain or resume the node");
  cmd->add_flag("--accept-counters", o->accept_counters,
                "Take today's error counts as the new baseline (after investigating a rise)");
  cmd->callback([o, exit_code] {
    try {
      *exit_code = run_health(*o);
    } catch (const InputError& e) {
      *exit_code = report_problems(kTool, e.problems());
    }
  });
}

}  // namespace trn
