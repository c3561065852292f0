// The Plan: what one task of a training job runs, as plain data. Two files make it:
//   plan_compute.cc  make_plan(): a PURE function of PlanInputs (config, instance
//                    catalog, site file, environment, launch environment); unit-tested
//                    with hand-written inputs, no I/O except the injected resolver.
//   plan_inputs.cc   build_plan(): the I/O that gathers those inputs (environment,
//                    site file, config search, instance catalog, DNS) and calls make_plan.
// Every command prints (plan), executes (run) or submits (submit) this same Plan.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "common/cache_settings.h"
#include "common/config/site_file.h"
#include "common/env_map.h"
#include "common/hostlist.h"
#include "common/net_interfaces.h"
#include "launcher/plan/config_loader.h"
#include "common/node_instance.h"
#include "common/ports.h"
#include "launcher/plan/instance_catalog.h"
#include "launcher/plan/launch_env.h"

namespace trn {

// per-node: this launcher starts the node's workers (torchrun / mpirun style);
// per-worker: every task is one worker (srun --ntasks-per-node=P, mpirun -np world).
enum class LaunchPattern { kPerNode, kPerWorker };
const char* to_string(LaunchPattern p);  // "per-node" | "per-worker"

// Where NEURON_RT_ROOT_COMM_ID's port came from.
enum class RootCommSource { kDerived, kEnvironment };
const char* to_string(RootCommSource s);  // "derived" | "environment"

struct Plan {
  std::string config_path;
  std::string config_name;
  std::string instance;
  std::string instance_rule;   // which rule of launcher/plan/instance_resolution.h chose it
  Platform platform = Platform::kUnknown;  // to_string(): "trn1", "trn2", "trn3", "cpu"
  int vcpus = 0;               // sbatch --cpus-per-task (0: Slurm's default)
  int ultraserver_nodes = 0;   // nodes per UltraServer of the instance (0: not an UltraServer type)
  int lnc = 1;
  int nodes = 1;
  int node_rank = 0;
  int procs_per_node = 1;
  int world_size = 1;
  int tp = 1, pp = 1, vpp = 1, cp = 1, ep = 1, dp = 1;
  long long micro_batch_size = 1, global_batch_size = 1, num_microbatches = 1;
  LaunchKind launch_kind = LaunchKind::kStandalone;
  LaunchPattern launch_pattern = LaunchPattern::kPerNode;
  int task_rank = 0, local_rank = 0;
  std::string socket_ifname;   // CCOM_SOCKET_IFNAME where upstream sets it (LaunchEnv::socket_ifname)
  std::string master_host;     // as named by the environment
  std::string master_addr;     // IPv4
  int master_port = 0;
  int root_comm_port = 0;
  RootCommSource root_comm_source = RootCommSource::kDerived;
  Backend backend = Backend::kNxdt;
  bool compile = false;
  std::string job_id;
  std::string step_id;         // "" outside a step
  int restart_count = 0;
  std::string restart_dir;     // logs/<job>/<restart>/: what every node of this run shares
  std::string log_dir;         // restart_dir + <node>/
  std::string effective_config;  // log_dir + config.yaml: what `run` writes and the native backend reads
  CacheSettings cache;         // the one resolved compile-cache location (common/config/cache_location.h)
  std::vector<std::string> command;
  std::map<std::string, std::string> env;  // what the launcher sets (user's own env wins, see neuron_env)
  HostList hosts;  // node-rank order; expand() for output
  std::vector<std::string> warnings;  // printed by plan and run; never stop the launch
};

struct PlanInputs {
  LoadedConfig config;
  InstanceCatalog catalog;
  config::SiteConfig site;
  EnvMap env;
  LaunchEnv launch;
  NodeInstanceFacts node;      // what the node says about its instance type
  EphemeralPorts ephemeral;    // the node's ip_local_port_range / ip_local_reserved_ports
  std::vector<Ipv4Interface> interfaces;  // this node's, read where the master is this node (AWS Batch main)
  bool compile = false;
  std::string bindir;  // where trn-train-native lives
  std::function<std::string(const std::string&)> resolve;  // host -> IPv4 (throws InputError)
};

// Throws InputError with every violated rule at once.
Plan make_plan(const PlanInputs& in);

}  // namespace trn
