#include "launcher/config_loader.h"

#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "launcher/yaml_util.h"

#ifndef TRN_DATADIR
#define TRN_DATADIR "/usr/share/trn-train"
#endif

namespace trn {
namespace {

bool is_file(const std::string& p) {
  struct stat st;
  return stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

std::string absolute(const std::string& p) {
  char buf[PATH_MAX];
  return realpath(p.c_str(), buf) ? std::string(buf) : p;
}

// The conf/ next to the binary's tree (build/bin/../../conf, or prefix/bin/../share),
// so an uninstalled build finds the repository's configs from any directory.
std::vector<std::string> dirs_near_binary() {
  char buf[PATH_MAX];
  const ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return {};
  std::string exe(buf, static_cast<size_t>(n));
  const std::string bindir = exe.substr(0, exe.rfind('/'));
  return {bindir + "/../share/trn-train/conf", bindir + "/../../conf"};
}

}  // namespace

std::vector<std::string> config_search_path(const SiteConfig& site) {
  std::vector<std::string> dirs{"./conf"};
  dirs.insert(dirs.end(), site.conf_dirs.begin(), site.conf_dirs.end());
  dirs.push_back(std::string(TRN_DATADIR) + "/conf");
  for (const auto& d : dirs_near_binary()) dirs.push_back(d);
  return dirs;
}

std::string resolve_config(const std::string& conf, const std::vector<std::string>& search) {
  const bool looks_like_path = conf.find('/') != std::string::npos || (conf.size() > 5 &&
                                   (conf.compare(conf.size() - 5, 5, ".yaml") == 0 ||
                                    conf.compare(conf.size() - 4, 4, ".yml") == 0));
  if (looks_like_path) {
    if (is_file(conf)) return absolute(conf);
    throw InputError({{"CONF_FILE", conf, "no such file; give an existing path or a config name under conf/"}});
  }
  std::string tried;
  for (const auto& d : search) {
    const std::string p = d + "/" + conf + ".yaml";
    if (is_file(p)) return absolute(p);
    tried += (tried.empty() ? "" : ", ") + d;
  }
  throw InputError({{"CONF_FILE", conf,
                     "no config named '" + conf + ".yaml' in the search path (" + tried +
                         "); give a path to the YAML, or add its directory to site conf_dirs"}});
}

LoadedConfig load_config(const std::string& conf, const std::vector<std::string>& overrides, const SiteConfig& site) {
  LoadedConfig cfg;
  cfg.path = resolve_config(conf, config_search_path(site));
  const auto slash = cfg.path.rfind('/');
  cfg.dir = cfg.path.substr(0, slash);
  cfg.name = cfg.path.substr(slash + 1);
  cfg.name = cfg.name.substr(0, cfg.name.rfind('.'));
  cfg.root = load_yaml_file(cfg.path);
  for (const auto& arg : overrides) {
    apply_override(cfg.root, parse_override(arg));
    // launch.* is trn-train's own block: NxDT's Hydra (struct mode) would reject it.
    if (arg.rfind("launch.", 0) != 0) cfg.override_args.push_back(arg);
  }

  std::vector<Problem> problems;
  const YAML::Node launch = cfg.root["launch"];
  check_keys(launch, "launch",
             {"backend", "instance", "nodes", "procs_per_node", "allow_devices_mismatch", "ports", "requeue", "log_dir",
              "script", "partition", "job_name", "time", "sbatch_flags"},
             &problems);
  if (launch.IsMap()) check_keys(launch["ports"], "launch.ports", {"master", "root_comm"}, &problems);
  LaunchSettings& l = cfg.launch;
  l.instance = site.instance.empty() ? "trn1.32xlarge" : site.instance;
  l.master_ports = site.master_ports;
  l.root_comm_ports = site.root_comm_ports;
  l.partition = site.partition;
  if (!site.log_dir.empty()) l.log_dir = site.log_dir;
  l.sbatch_flags = site.sbatch_flags;
  const YAML::Node& r = cfg.root;
  if (auto v = get_string(r, "launch.backend", &problems)) l.backend = *v;
  if (l.backend != "native" && l.backend != "nxdt" && l.backend != "torchneuron") {
    problems.push_back({"launch.backend", l.backend, "must be one of native, nxdt, torchneuron"});
  }
  if (auto v = get_string(r, "launch.instance", &problems)) l.instance = *v;
  l.nodes = get_int(r, "launch.nodes", &problems);
  l.procs_per_node = get_int(r, "launch.procs_per_node", &problems);
  if (auto v = get_bool(r, "launch.allow_devices_mismatch", &problems)) l.allow_devices_mismatch = *v;
  if (auto v = get_string(r, "launch.ports.master", &problems)) l.master_ports = *v;
  if (auto v = get_string(r, "launch.ports.root_comm", &problems)) l.root_comm_ports = *v;
  if (auto v = get_bool(r, "launch.requeue", &problems)) l.requeue = *v;
  if (auto v = get_string(r, "launch.log_dir", &problems)) l.log_dir = *v;
  if (auto v = get_string(r, "launch.script", &problems)) l.script = *v;
  if (auto v = get_string(r, "launch.partition", &problems)) l.partition = *v;
  if (auto v = get_string(r, "launch.job_name", &problems)) l.job_name = *v;
  if (auto v = get_string(r, "launch.time", &problems)) l.time = *v;
  if (const YAML::Node f = at_path(r, "launch.sbatch_flags"); f.IsDefined() && !f.IsNull()) {
    if (!f.IsSequence()) {
      problems.push_back({"launch.sbatch_flags", scalar_text(f), "must be a list, e.g. [--qos=high]"});
    } else {
      for (const auto& x : f) l.sbatch_flags.push_back(x.as<std::string>());
    }
  }
  if (l.script.empty()) l.script = l.backend == "nxdt" ? "training_orchestrator.py" : "train.py";
  if (l.job_name.empty()) l.job_name = cfg.name;
  if (!problems.empty()) throw InputError(problems);
  return cfg;
}

std::string find_instance_catalog(const LoadedConfig& cfg, const SiteConfig& site) {
  std::vector<std::string> dirs{cfg.dir};
  for (const auto& d : config_search_path(site)) dirs.push_back(d);
  for (const auto& d : dirs) {
    if (is_file(d + "/instances.yaml")) return d + "/instances.yaml";
  }
  throw InputError({{"instances.yaml", "(not found)", "install conf/instances.yaml next to the configs"}});
}

}  // namespace trn
