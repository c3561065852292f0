// build_plan(): the I/O half of planning (see plan.h): reads the environment, the
// site file, the config and the instance catalog, and resolves host names; then
// calls the pure make_plan().
#include <limits.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "common/config/search_path.h"
#include "common/ipv4.h"
#include "common/net_interfaces.h"
#include "launcher/commands/commands.h"
#include "launcher/errors.h"
#include "launcher/plan/master_addr.h"
#include "launcher/plan/script_path.h"

namespace trn {

std::string self_bindir() {
  char buf[PATH_MAX];
  const ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return ".";
  std::string exe(buf, static_cast<size_t>(n));
  return exe.substr(0, exe.rfind('/'));
}

config::SiteConfig load_site(const EnvMap& env) {
  config::SiteConfig site;
  Problems problems;
  if (!config::load_site_config(env, &site, &problems)) throw InputError(problems);
  return site;
}

namespace {

std::string slurp(const std::string& path) {
  std::ifstream f(path);
  std::ostringstream text;
  text << f.rdbuf();
  return text.str();
}

// The node's instance facts are read under TRN_TRAIN_NODE_ROOT (default "/"): a test
// aid, like the plugin's root=, so the local cluster's fake device trees stand in for
// real nodes.
std::string node_root(const EnvMap& env) {
  auto root = lookup(env, "TRN_TRAIN_NODE_ROOT");
  return root && !root->empty() ? *root : "/";
}

// The kernel's port sysctls (the same kernel under any fake device tree). Unreadable
// or malformed: unknown, and the plan claims nothing about overlap.
EphemeralPorts read_ephemeral_ports() {
  EphemeralPorts e;
  const std::string range = slurp("/proc/sys/net/ipv4/ip_local_port_range");
  const std::string reserved = slurp("/proc/sys/net/ipv4/ip_local_reserved_ports");
  if (range.empty() || !parse_ephemeral_ports(range, reserved, &e)) return EphemeralPorts{};
  return e;
}

}  // namespace

Plan build_plan(const CommonOptions& opts, const EnvMap& env, LoadedConfig* cfg_out) {
  PlanInputs in;
  in.env = env;
  in.site = load_site(env);
  std::string conf = opts.conf;
  if (conf.empty()) conf = lookup(env, "CONF_FILE").value_or("");
  if (conf.empty()) {
    throw InputError({{"CONF_FILE", "(unset)", "name a config: --conf NAME|PATH or export CONF_FILE=NAME"}});
  }
  std::vector<std::string> overrides = opts.overrides;
  if (!opts.instance.empty()) overrides.push_back("launch.instance=" + opts.instance);
  in.config = load_config(conf, overrides, in.site);
  std::vector<std::string> catalog_dirs{in.config.dir};
  for (const auto& d : config::config_search_path(in.site)) catalog_dirs.push_back(d);
  const std::string catalog = config::find_in(catalog_dirs, "instances.yaml");
  if (catalog.empty()) {
    throw InputError({{"instances.yaml", "(not found)", "install conf/instances.yaml next to the configs"}});
  }
  in.catalog = load_instance_catalog(catalog);
  // The nxdt script as an absolute path (launcher/plan/script_path.h); when it is found
  // nowhere it stays as written, and `run` (and `plan` inside a job, and preflight) say
  // where they looked, with exit 2, before any worker starts.
  if (in.config.launch.backend == Backend::kNxdt) {
    std::string found;
    Problem unused;
    if (find_script_here(in.config.launch.script, in.config.dir, &found, &unused)) in.config.launch.script = found;
  }
  // The host name matters only under mpirun outside Slurm (the MPI Operator's pod names);
  // the interfaces only on an AWS Batch main node: neither is read elsewhere.
  const bool mpi_outside_slurm = lookup(env, "OMPI_COMM_WORLD_RANK") && !lookup(env, "SLURM_JOB_ID");
  in.launch = detect_launch_env(env, opts.nodes, mpi_outside_slurm ? this_host_fqdn() : "");
  if (in.launch.master_is_this_node) in.interfaces = read_ipv4_interfaces();
  in.node = read_node_instance(node_root(env));
  in.ephemeral = read_ephemeral_ports();
  if (opts.compile) {
    in.compile = *opts.compile;
  } else if (auto c = lookup(env, "COMPILE"); c && !c->empty()) {
    if (*c != "0" && *c != "1") throw InputError({{"COMPILE", *c, "must be 0 (train) or 1 (compile only)"}});
    in.compile = *c == "1";
  }
  in.bindir = self_bindir();
  const auto site_hosts = in.site.host_addresses;
  in.resolve = [site_hosts](const std::string& host) { return resolve_ipv4(host, site_hosts); };
  Plan p = make_plan(in);
  if (cfg_out) {
    *cfg_out = in.config;
    cfg_out->launch.instance = p.instance;  // as resolved: the effective config names it
  }
  return p;
}

}  // namespace trn
