// Cluster-wide defaults an administrator sets once in /etc/trn-train/site.yaml
// (TRN_TRAIN_SITE_CONF names another file; a missing default file is fine, a
// missing file named by the variable is an error). Read by the launcher and by
// `trn-train cache`, so both find the same shared cache (cache_root). Trusted only
// when owned by root or the user and writable by nobody else (else a Problem with
// the chmod/chown fix): it steers sbatch, the master address and the cache.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "common/env_map.h"
#include "common/problem.h"

namespace trn::config {

struct SiteConfig {
  std::string path;                       // file read, or "" when none
  std::vector<std::string> conf_dirs;     // extra config search dirs
  std::string cache_root;                 // shared compile cache (see cache_location.h)
  std::string cache_group;                // group that shares it (TRN_CACHE_GROUP wins)
  std::string cache_max_size;             // janitor size limit, e.g. 500G
  std::string master_ports;               // MASTER_PORT range; "" = common/ports.h default
  std::string partition;
  std::vector<std::string> sbatch_flags;  // appended to every sbatch line
  std::string instance;                   // instance type when neither config nor node says (launcher/plan/instance_resolution.h)
  std::map<std::string, std::string> partitions;  // Slurm partition -> instance type (trn1 and trn2 queues)
  std::string log_dir;                    // default launch.log_dir
  std::map<std::string, std::string> host_addresses;  // static name -> IPv4, checked before DNS
};

// Finds and reads the site file for this environment. Problems name the file and key.
bool load_site_config(const EnvMap& env, SiteConfig* site, Problems* problems);
bool load_site_config_file(const std::string& path, SiteConfig* site, Problems* problems);

}  // namespace trn::config
