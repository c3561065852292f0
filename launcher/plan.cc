#include "launcher/plan.h"

#include <charconv>

#include "common/ports.h"
#include "launcher/backend_command.h"
#include "launcher/neuron_env.h"
#include "launcher/validate.h"
#include "launcher/yaml_util.h"

namespace trn {
namespace {

// "41000-41999" or a fixed "41000". Out of range / malformed -> Problem.
bool parse_ports(const std::string& key, const std::string& text, PortRange* range, std::vector<Problem>* problems) {
  std::string error;
  const std::string spec = text.find('-') == std::string::npos ? text + "-" + text : text;
  if (!parse_port_range(spec, range, &error)) {
    problems->push_back({key, text, "must be a port or LO-HI range with 1024 <= LO <= HI <= 65535, e.g. 41000-41999"});
    return false;
  }
  return true;
}

uint64_t job_number(const std::string& job_id) {
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(job_id.data(), job_id.data() + job_id.size(), v);
  if (ec == std::errc() && p == job_id.data() + job_id.size()) return v;
  uint64_t h = 1469598103934665603ULL;  // FNV-1a for non-numeric ids (Batch, torchrun run ids)
  for (unsigned char c : job_id) h = (h ^ c) * 1099511628211ULL;
  return h;
}

int port_from_root_comm(const std::string& id) {
  const auto colon = id.rfind(':');
  int port = 0;
  if (colon == std::string::npos) return 0;
  std::from_chars(id.data() + colon + 1, id.data() + id.size(), port);
  return port;
}

}  // namespace

Plan make_plan(const PlanInputs& in) {
  const LoadedConfig& cfg = in.config;
  const LaunchEnv& le = in.launch;
  std::vector<Problem> problems;
  Plan p;
  p.config_path = cfg.path;
  p.config_name = cfg.name;
  p.backend = cfg.launch.backend;
  p.compile = in.compile;
  p.instance = cfg.launch.instance;
  const InstanceType* inst = in.catalog.find(p.instance);
  if (!inst) {
    throw InputError({{"launch.instance", p.instance, "unknown instance type; known: " + in.catalog.names() +
                                                          " (catalog " + in.catalog.path + ")"}});
  }
  p.platform = inst->platform;
  p.vcpus = inst->vcpus;
  const YAML::Node& r = cfg.root;

  // LNC: trainer.lnc, else the platform default (NxDT: None -> 2 on trn2, 1 elsewhere).
  p.lnc = static_cast<int>(get_int(r, "trainer.lnc", &problems).value_or(inst->lnc_default));
  const long long devices = get_int(r, "trainer.devices", &problems).value_or(0);
  if (auto it = inst->procs_per_lnc.find(p.lnc); it != inst->procs_per_lnc.end()) {
    p.procs_per_node = it->second;
  } else if (auto d = inst->procs_per_lnc.find(inst->lnc_default); d != inst->procs_per_lnc.end()) {
    p.procs_per_node = d->second;  // invalid LNC is reported by validate; plan on the default
  } else if (inst->procs_per_lnc.empty()) {
    p.procs_per_node = static_cast<int>(cfg.launch.procs_per_node.value_or(devices > 0 ? devices : 1));
  }
  if (cfg.launch.allow_devices_mismatch) {
    p.procs_per_node = static_cast<int>(cfg.launch.procs_per_node.value_or(devices > 0 ? devices : p.procs_per_node));
  }

  p.launch_kind = to_string(le.kind);
  p.launch_pattern = le.per_worker ? "per-worker" : "per-node";
  p.nodes = le.nodes;
  if (le.kind == LaunchKind::kStandalone && le.hosts.empty() && !le.nodes_from_hint) {
    // Outside any job and without --nodes: launch.nodes, else trainer.num_nodes.
    p.nodes = static_cast<int>(cfg.launch.nodes.value_or(get_int(r, "trainer.num_nodes", &problems).value_or(1)));
  }
  p.node_rank = le.node_rank;
  p.task_rank = le.task_rank;
  p.local_rank = le.local_rank;
  if (le.per_worker && le.tasks_on_this_node != p.procs_per_node) {
    problems.push_back({"tasks per node", std::to_string(le.tasks_on_this_node),
                        "one task per worker needs exactly procs_per_node = " + std::to_string(p.procs_per_node) +
                            " tasks on each node (" + inst->name + "); use srun --ntasks-per-node=" +
                            std::to_string(p.procs_per_node) + " or one task per node"});
  }
  p.world_size = p.nodes * p.procs_per_node;

  p.tp = static_cast<int>(get_int(r, "distributed_strategy.tensor_model_parallel_size", &problems).value_or(1));
  p.pp = static_cast<int>(get_int(r, "distributed_strategy.pipeline_model_parallel_size", &problems).value_or(1));
  p.vpp = static_cast<int>(get_int(r, "distributed_strategy.virtual_pipeline_model_parallel_size", &problems).value_or(1));
  p.cp = static_cast<int>(get_int(r, "distributed_strategy.context_parallel_size", &problems).value_or(1));
  p.ep = static_cast<int>(get_int(r, "distributed_strategy.expert_model_parallel_size", &problems).value_or(1));
  p.micro_batch_size = get_int(r, "data.micro_batch_size", &problems).value_or(1);
  p.global_batch_size = get_int(r, "data.global_batch_size", &problems).value_or(p.micro_batch_size);
  const long long mp = 1LL * std::max(1, p.tp) * std::max(1, p.pp) * std::max(1, p.cp);
  p.dp = static_cast<int>(p.world_size / mp);
  p.num_microbatches = (p.dp > 0 && p.micro_batch_size > 0) ? p.global_batch_size / (p.micro_batch_size * p.dp) : 0;

  // Ports: deterministic per job, so every task agrees without talking.
  p.job_id = le.job_id;
  p.restart_count = le.restart_count;
  PortRange master_range, root_range;
  const bool ports_ok = parse_ports("launch.ports.master", cfg.launch.master_ports, &master_range, &problems) &
                        parse_ports("launch.ports.root_comm", cfg.launch.root_comm_ports, &root_range, &problems);
  if (ports_ok) {
    const uint64_t job = job_number(p.job_id);
    p.master_port = le.master_port.value_or(derive_port(job, 0x6d6173746572ULL /* "master" */, master_range));
    p.root_comm_port = derive_port(job, 0x726f6f74ULL /* "root" */, root_range);
  }
  if (auto rc = lookup(in.env, "NEURON_RT_ROOT_COMM_ID"); rc && !rc->empty()) {
    p.root_comm_port = port_from_root_comm(*rc);
    p.root_comm_source = "environment";
  } else {
    p.root_comm_source = "derived";
  }

  p.log_dir = cfg.launch.log_dir + "/" + p.job_id + "/" + std::to_string(p.restart_count) + "/" +
              std::to_string(p.node_rank) + "/";

  if (ports_ok) {
    auto rules = validate_plan(p, r, *inst, devices, cfg.launch.allow_devices_mismatch);
    problems.insert(problems.end(), rules.begin(), rules.end());
  }
  if (!problems.empty()) throw InputError(problems);

  // Master: first host in node-rank order, as an IPv4 address.
  p.hosts = le.hosts;
  if (le.master_addr) {
    p.master_host = *le.master_addr;
  } else if (!le.hosts.empty()) {
    p.master_host = le.hosts.front();
  } else {
    // A multi-node plan made outside a job has no host list yet: the master is
    // decided at launch (first node of the allocation). `run` refuses an empty one.
    p.master_host = p.nodes > 1 ? "" : "localhost";
  }
  if (!p.master_host.empty()) p.master_addr = in.resolve ? in.resolve(p.master_host) : p.master_host;
  p.env = derive_env(p, r, *inst, in.env, in.site);
  p.command = backend_command(p, cfg, in.bindir);
  return p;
}

}  // namespace trn
