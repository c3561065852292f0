// Cluster-wide defaults an administrator sets once in /etc/trn-train/site.yaml
// (env TRN_TRAIN_SITE_CONF overrides the path; a missing default file is fine,
// a missing file named by the variable is an error).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "launcher/env_map.h"

namespace trn {

struct SiteConfig {
  std::string path;                       // file read, or "" when none
  std::vector<std::string> conf_dirs;     // extra config search dirs
  std::string cache_root;                 // default NEURON compile cache / --cache_dir
  std::string master_ports = "41000-41999";
  std::string root_comm_ports = "46000-46999";
  std::string partition;
  std::vector<std::string> sbatch_flags;  // appended to every sbatch line
  std::string instance;                   // default launch.instance
  std::string log_dir;                    // default launch.log_dir
  std::map<std::string, std::string> host_addresses;  // static name -> IPv4, checked before DNS
};

std::string default_site_path();
SiteConfig load_site_config(const EnvMap& env);  // throws InputError
SiteConfig load_site_config_file(const std::string& path);

}  // namespace trn
