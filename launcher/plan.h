// The Plan: one pure function of (config, instance type, launch environment, site)
// that every command prints or executes. Nothing here touches the machine except
// master-address resolution, which is injected so tests stay hermetic.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "common/hostlist.h"
#include "launcher/config_loader.h"
#include "launcher/instance_catalog.h"
#include "launcher/launch_env.h"
#include "launcher/site_config.h"

namespace trn {

struct Plan {
  std::string config_path;
  std::string config_name;
  std::string instance;
  std::string platform;
  int vcpus = 0;               // sbatch --cpus-per-task (0: Slurm's default)
  int lnc = 1;
  int nodes = 1;
  int node_rank = 0;
  int procs_per_node = 1;
  int world_size = 1;
  int tp = 1, pp = 1, vpp = 1, cp = 1, ep = 1, dp = 1;
  long long micro_batch_size = 1, global_batch_size = 1, num_microbatches = 1;
  std::string launch_kind;     // slurm | openmpi | aws-batch | torchrun | standalone
  std::string launch_pattern;  // per-node (launcher starts the workers) | per-worker
  int task_rank = 0, local_rank = 0;
  std::string master_host;     // as named by the environment
  std::string master_addr;     // IPv4
  int master_port = 0;
  int root_comm_port = 0;
  std::string root_comm_source;  // "derived" | "environment" (plugin or user set NEURON_RT_ROOT_COMM_ID)
  std::string backend;
  bool compile = false;
  std::string job_id;
  int restart_count = 0;
  std::string log_dir;         // logs/<job>/<restart>/<node>/
  std::vector<std::string> command;
  std::map<std::string, std::string> env;  // what the launcher sets (user's own env wins, see neuron_env)
  HostList hosts;  // node-rank order; expand() for output
};

struct PlanInputs {
  LoadedConfig config;
  InstanceCatalog catalog;
  SiteConfig site;
  EnvMap env;
  LaunchEnv launch;
  bool compile = false;
  std::string bindir;  // where trn-train-native lives
  std::function<std::string(const std::string&)> resolve;  // host -> IPv4 (throws InputError)
};

// Throws InputError with every violated rule at once.
Plan make_plan(const PlanInputs& in);

}  // namespace trn
