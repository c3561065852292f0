// NxDT-schema model config + trn-train's strict `launch:` block.
//
// CONF_FILE is resolved like train.sh does (`conf/<name>.yaml`) but through a search
// path: ./conf, the site's conf_dirs, then the installed share/trn-train/conf. A value
// containing '/' or ending in .yaml is used as a path.
#pragma once

#include <yaml-cpp/yaml.h>

#include <optional>
#include <string>
#include <vector>

#include "launcher/overrides.h"
#include "launcher/site_config.h"

namespace trn {

struct LaunchSettings {
  std::string backend = "nxdt";  // native | nxdt | torchneuron
  std::string instance;          // catalog name
  std::optional<long long> nodes;
  std::optional<long long> procs_per_node;  // only with allow_devices_mismatch, or for cpu
  bool allow_devices_mismatch = false;
  std::string master_ports;     // "LO-HI" or a fixed port
  std::string root_comm_ports;
  bool requeue = true;
  std::string log_dir = "logs";
  std::string script;           // nxdt: training_orchestrator.py; torchneuron: the user's script
  std::string partition;
  std::string job_name;
  std::string time;
  std::vector<std::string> sbatch_flags;
};

struct LoadedConfig {
  std::string path;       // absolute path of the YAML read
  std::string name;       // file stem (Hydra --config-name)
  std::string dir;        // its directory (Hydra --config-path)
  YAML::Node root;        // after overrides
  std::vector<std::string> override_args;  // as given, passed on to the backend (launch.* left out)
  LaunchSettings launch;
};

std::vector<std::string> config_search_path(const SiteConfig& site);
// Throws InputError listing the directories searched.
std::string resolve_config(const std::string& conf, const std::vector<std::string>& search);
// Loads, applies overrides, parses `launch:` (unknown keys are errors) with site defaults.
LoadedConfig load_config(const std::string& conf, const std::vector<std::string>& overrides, const SiteConfig& site);
// Finds instances.yaml in the same search path (next to the config first).
std::string find_instance_catalog(const LoadedConfig& cfg, const SiteConfig& site);

}  // namespace trn
