// make_plan(): the pure half of planning (see plan.h). Reads only its inputs.
#include <algorithm>
#include <charconv>

#include "common/config/cache_location.h"
#include "common/config/training.h"
#include "common/ports.h"
#include "launcher/plan/backend_command.h"
#include "launcher/plan/count_math.h"
#include "launcher/errors.h"
#include "launcher/plan/instance_resolution.h"
#include "launcher/neuron/neuron_env.h"
#include "launcher/plan/plan.h"
#include "launcher/plan/validate.h"
#include "launcher/plan/visible_cores.h"

namespace trn {

const char* to_string(LaunchPattern p) { return p == LaunchPattern::kPerWorker ? "per-worker" : "per-node"; }
const char* to_string(RootCommSource s) { return s == RootCommSource::kEnvironment ? "environment" : "derived"; }

namespace {

int port_from_root_comm(const std::string& id) {
  const auto colon = id.rfind(':');
  int port = 0;
  if (colon == std::string::npos) return 0;
  std::from_chars(id.data() + colon + 1, id.data() + id.size(), port);
  return port;
}

// Processes per node: the catalog's value for the LNC, else (cpu) the config's.
int procs_per_node(const InstanceType& inst, const LaunchSettings& launch, int lnc, long long devices) {
  const long long configured = launch.procs_per_node.value_or(devices > 0 ? devices : 1);
  int procs = 1;
  if (auto it = inst.procs_per_lnc.find(lnc); it != inst.procs_per_lnc.end()) {
    procs = it->second;
  } else if (auto d = inst.procs_per_lnc.find(inst.lnc_default); d != inst.procs_per_lnc.end()) {
    procs = d->second;  // an invalid LNC is reported by validate; plan on the default
  } else if (inst.procs_per_lnc.empty()) {
    procs = static_cast<int>(configured);
  }
  if (launch.allow_devices_mismatch) procs = static_cast<int>(launch.procs_per_node.value_or(devices > 0 ? devices : procs));
  return procs;
}

std::string range_text(PortRange r) {
  return r.lo == r.hi ? std::to_string(r.lo) : std::to_string(r.lo) + "-" + std::to_string(r.hi);
}

// A port an outgoing connection can take makes launches fail at random on a busy
// node. The fix is a sysctl, which is the admin kit's job, not trn-train's.
void warn_ephemeral(const std::string& what, PortRange r, const EphemeralPorts& e, std::vector<std::string>* out) {
  const unsigned n = unreserved_ephemeral_overlap(r, e);
  if (n == 0) return;
  out->push_back(what + " " + range_text(r) + ": " + std::to_string(n) +
                 " of its ports lie in this node's ephemeral range " + range_text(e.range) +
                 " and are not reserved, so an outgoing connection can take one; fix: choose a range outside " +
                 range_text(e.range) + ", or (admin) sysctl -w net.ipv4.ip_local_reserved_ports=" + range_text(r) +
                 " and persist it in /etc/sysctl.d. trn-train changes no sysctl or lctl setting (reserved ports, "
                 "Lustre osc.*.max_dirty_mb): that is the admin kit's job");
}

// LNC (trainer.lnc, else the platform's default: NxDT's None -> 2 on trn2/trn3, 1 elsewhere)
// and the workers per node. The plugin owns the task's LNC (it sets
// NEURON_LOGICAL_NC_CONFIG with its cores): a different value here is a contradiction
// to resolve, never one to overwrite. So are visible cores that do not fit the layout:
// per node, torch-xla's Neuron plugin hands each of the LOCAL_WORLD_SIZE workers one of
// the task's cores and checks the two counts agree (torch_xla/_internal/neuron.py in
// pytorch/xla); per worker, each task is one worker on one core. Both are refused here,
// before any worker starts, instead of failing on every worker.
void plan_workers(const PlanInputs& in, const InstanceType& inst, Plan* p, Problems* problems) {
  const config::TrainingConfig& t = in.config.training;
  p->lnc = static_cast<int>(t.lnc.value_or(inst.lnc_default));
  const std::string lnc_from = t.lnc ? std::string("trainer.lnc") : inst.name + "'s default";
  const auto task_lnc = lookup(in.env, "NEURON_LOGICAL_NC_CONFIG");
  const bool lnc_differs = task_lnc && !task_lnc->empty() && *task_lnc != std::to_string(p->lnc);
  if (lnc_differs) {
    problems->push_back({"NEURON_LOGICAL_NC_CONFIG",
                         *task_lnc + " (this task's: the plugin's or the environment's; the plan's LNC is " +
                             std::to_string(p->lnc) + ", from " + lnc_from + ")",
                         "make them agree: trainer.lnc=" + *task_lnc + ", or the plugin's lnc= (sbatch --neuron-lnc), "
                         "or unset the variable"});
  }
  p->procs_per_node = procs_per_node(inst, in.config.launch, p->lnc, t.devices.value_or(0));

  const auto visible = lookup(in.env, "NEURON_RT_VISIBLE_CORES");
  if (!visible || visible->empty() || inst.neuron_cores == 0 || lnc_differs) return;
  const bool per_worker = in.launch.per_worker;
  const int want = per_worker ? 1 : p->procs_per_node;
  const std::optional<std::vector<int>> cores = parse_visible_cores(*visible);
  const int count = cores ? static_cast<int>(cores->size()) : 0;
  const std::string layout = per_worker ? "one task per worker needs exactly 1 core per task"
                                        : "one task per node needs one core per worker: " + std::to_string(want) +
                                              " (procs_per_node of " + inst.name + " at LNC " +
                                              std::to_string(p->lnc) + ")";
  if (!cores) {
    problems->push_back({"NEURON_RT_VISIBLE_CORES", *visible,
                         "is not a core list such as 0-63, 5 or 0-3,8-11; unset it and let the plugin place the cores"});
  } else if (count != want) {
    problems->push_back({"NEURON_RT_VISIBLE_CORES",
                         *visible + " (" + std::to_string(count) + " cores, this task's: the plugin's or the environment's)",
                         layout + "; let the plugin split the node (no --neuron-cores, or --neuron-cores=" +
                             std::to_string(per_worker ? 1 : want) + "), or unset the variable"});
  }
}

// Nodes and this task's place among them, from the launch environment (the allocation
// wins over trainer.num_nodes, as train.sh hands NxDT the allocation's count).
void plan_topology(const PlanInputs& in, const InstanceType& inst, Plan* p, Problems* problems) {
  const LaunchEnv& le = in.launch;
  const LoadedConfig& cfg = in.config;
  p->launch_kind = le.kind;
  p->launch_pattern = le.per_worker ? LaunchPattern::kPerWorker : LaunchPattern::kPerNode;
  p->nodes = le.nodes;
  const auto written = cfg.training.num_nodes;
  if (le.kind == LaunchKind::kStandalone && le.hosts.empty() && !le.nodes_from_hint) {
    // Outside any job and without --nodes: launch.nodes, else trainer.num_nodes.
    p->nodes = static_cast<int>(cfg.launch.nodes.value_or(written.value_or(1)));
  } else if (written && *written != p->nodes) {
    p->warnings.push_back("trainer.num_nodes = " + std::to_string(*written) + " in the config, but the job has " +
                          std::to_string(p->nodes) + (le.nodes_from_hint ? " nodes (--nodes)" : " nodes") + ": " +
                          std::to_string(p->nodes) + " is used, as train.sh hands NxDT the allocation's node count");
  }
  p->node_rank = le.node_rank;
  p->task_rank = le.task_rank;
  p->local_rank = le.local_rank;
  p->socket_ifname = le.socket_ifname;
  const std::string srun_line = "srun --ntasks-per-node=" + std::to_string(p->procs_per_node) +
                                " --distribution=block trn-train run, or one task per node: srun --ntasks-per-node=1 "
                                "trn-train run";
  if (le.per_worker && le.tasks_on_this_node != p->procs_per_node) {
    problems->push_back({"tasks per node", std::to_string(le.tasks_on_this_node),
                         "one task per worker needs exactly procs_per_node = " + std::to_string(p->procs_per_node) +
                             " tasks on each node (" + inst.name + "); use " + srun_line});
  } else if (le.per_worker && p->backend != Backend::kNative) {
    // The world torchrun would form (neuron_env.cc torch_elastic_env): rank = node x
    // procs + local rank, and torch-xla's core for this local rank must be this task's.
    const long long torchrun_rank = static_cast<long long>(le.node_rank) * p->procs_per_node + le.local_rank;
    if (le.task_rank != torchrun_rank) {
      problems->push_back({"rank", std::to_string(le.task_rank) + " (node " + std::to_string(le.node_rank) +
                                       ", local rank " + std::to_string(le.local_rank) + ")",
                           "torchrun would give this worker rank " + std::to_string(torchrun_rank) +
                               " (ranks node by node); place the tasks in blocks: " + srun_line});
    }
    std::string cores;
    Problem why;
    if (p->backend == Backend::kNxdt &&
        !torch_elastic_visible_cores(lookup(in.env, "NEURON_RT_VISIBLE_CORES"), le.local_rank, p->procs_per_node,
                                     &cores, &why)) {
      problems->push_back(why);
    }
  }
  // nodes <= kMaxNodes and procs <= kMaxTasksPerNode where they are read, so the
  // world fits an int; checked anyway (count_math.h).
  const auto world = product({p->nodes, p->procs_per_node});
  if (!world || *world > kMaxTasks) {
    problems->push_back({"world size", std::to_string(p->nodes) + " nodes x " + std::to_string(p->procs_per_node),
                         "must be from 1 to " + std::to_string(kMaxTasks) + " processes"});
    throw InputError(*problems);
  }
  p->world_size = static_cast<int>(*world);
}

// The parallel degrees and the batch, as the typed config read them (one reader, one
// range per key).
void plan_parallelism(const config::TrainingConfig& t, Plan* p) {
  const config::ParallelConfig& par = t.parallel;
  p->tp = static_cast<int>(par.tp), p->pp = static_cast<int>(par.pp), p->vpp = static_cast<int>(par.vpp);
  p->cp = static_cast<int>(par.cp), p->ep = static_cast<int>(par.ep);
  p->micro_batch_size = t.micro_batch_size;
  p->global_batch_size = t.global_batch_size;
  // DP = world / (TP*PP*CP) <= world, so it fits an int; a product that overflows is
  // simply not a divisor of the world (validate says so), never a zero divisor.
  const auto mp = product({p->tp, p->pp, p->cp});
  p->dp = mp ? static_cast<int>(p->world_size / *mp) : 0;
  const auto unit = product({p->micro_batch_size, p->dp});
  p->num_microbatches = unit ? p->global_batch_size / *unit : 0;
}

// TorchTitan takes its degrees and batch from its TOML, never from the YAML: the plan
// shows those (validate checks them against the world through check_torchtitan_world).
// A shard degree of -1 is the ranks left over, as TorchTitan derives it.
void plan_torchtitan_parallelism(const TorchTitanConfig& c, Plan* p) {
  p->tp = static_cast<int>(c.tp), p->pp = static_cast<int>(c.pp), p->vpp = 1;
  p->cp = static_cast<int>(c.cp), p->ep = static_cast<int>(c.ep);
  const auto mp = product({c.dp_replicate, c.cp, c.tp, c.pp});
  const long long shard = c.dp_shard > 0 ? c.dp_shard : (mp && *mp > 0 ? p->world_size / *mp : 0);
  const auto dp = product({c.dp_replicate, shard});
  p->dp = dp && *dp <= p->world_size ? static_cast<int>(*dp) : 0;
  p->micro_batch_size = c.local_batch_size;
  const auto unit = product({c.local_batch_size, p->dp});
  p->global_batch_size = c.global_batch_size > 0 ? c.global_batch_size : unit.value_or(0);
  p->num_microbatches = unit && *unit > 0 ? p->global_batch_size / *unit : 0;
}

// Ports: deterministic per job and step (common/ports.h), so every task agrees without
// talking. False when launch.ports.master is malformed (a Problem says so).
bool plan_ports(const PlanInputs& in, Plan* p, Problems* problems) {
  const LaunchEnv& le = in.launch;
  PortRange master_range = kDefaultMasterPorts;
  std::string why;
  const std::string& configured = in.config.launch.master_ports;
  const bool ports_ok = configured.empty() || parse_port_range(configured, &master_range, &why);
  if (!ports_ok) problems->push_back({"launch.ports.master", configured, why});
  const uint64_t job = job_number(p->job_id), step = job_number(le.step_id.empty() ? "0" : le.step_id);
  p->master_port = le.master_port.value_or(step_port(job, step, master_range));
  if (auto rc = lookup(in.env, "NEURON_RT_ROOT_COMM_ID"); rc && !rc->empty()) {
    p->root_comm_port = port_from_root_comm(*rc);  // set by the SPANK plugin (or the user): it owns the range
    p->root_comm_source = RootCommSource::kEnvironment;
  } else {
    p->root_comm_port = step_port(job, step, kDefaultRootCommPorts);
  }
  if (!le.master_port) warn_ephemeral("MASTER_PORT range (launch.ports.master)", master_range, in.ephemeral, &p->warnings);
  if (p->root_comm_source == RootCommSource::kDerived) {
    warn_ephemeral("Neuron root-comm port range", kDefaultRootCommPorts, in.ephemeral, &p->warnings);
  } else if (p->root_comm_port > 0 && p->root_comm_port <= 65535) {
    const auto port = static_cast<uint16_t>(p->root_comm_port);
    warn_ephemeral("Neuron root-comm port (NEURON_RT_ROOT_COMM_ID)", {port, port}, in.ephemeral, &p->warnings);
  }
  return ports_ok;
}

// Master: the first host in node-rank order, as an IPv4 address; on an AWS Batch main
// node the address of its own reachable interface (common/net_interfaces.h).
void plan_master(const PlanInputs& in, Plan* p) {
  const LaunchEnv& le = in.launch;
  p->hosts = le.hosts;
  if (le.master_is_this_node) {
    const auto chosen = choose_reachable_ipv4(in.interfaces);
    if (!chosen) {
      std::string seen;
      for (const auto& i : in.interfaces) seen += (seen.empty() ? "" : ", ") + i.name + " " + i.address;
      throw InputError({{"AWS_BATCH_JOB_MAIN_NODE_INDEX", std::to_string(le.node_rank) + " (this main node)",
                         "has no interface other nodes can reach (" + (seen.empty() ? std::string("none") : seen) +
                             "): its address would be loopback; give the container the host's network "
                             "(eth0, as the Batch sample's job definition does)"}});
    }
    p->master_host = chosen->name;
    p->master_addr = chosen->address;
    return;
  }
  if (le.master_addr) {
    p->master_host = *le.master_addr;
  } else if (!le.hosts.empty()) {
    p->master_host = le.hosts.front();
  } else if (p->nodes > 1 && le.kind == LaunchKind::kOpenMpi) {
    // Inside mpirun there is no later moment that could name the master.
    throw InputError({{"MASTER_ADDR", "(unset)",
                       "mpirun outside Slurm on " + std::to_string(p->nodes) + " nodes names no master: under the "
                       "MPI Operator the pods are named <job>-worker-<i> (this host is not); else pass the first "
                       "node's address (mpirun -x MASTER_ADDR=...) or the nodes in rank order (-x TRN_TRAIN_HOSTS=a,b,...)"}});
  } else {
    // A multi-node plan made outside a job has no host list yet: the master is
    // decided at launch (first node of the allocation). `run` refuses an empty one.
    p->master_host = p->nodes > 1 ? "" : "localhost";
  }
  if (!p->master_host.empty()) p->master_addr = in.resolve ? in.resolve(p->master_host) : p->master_host;
}

}  // namespace

Plan make_plan(const PlanInputs& in) {
  const LoadedConfig& cfg = in.config;
  Problems problems;
  Plan p;
  p.config_path = cfg.path;
  p.config_name = cfg.name;
  p.backend = cfg.launch.backend;
  p.compile = in.compile;
  const std::string partition = lookup(in.env, "SLURM_JOB_PARTITION").value_or(cfg.launch.partition);
  const InstanceChoice choice =
      resolve_instance({cfg.launch.instance, in.node, &in.site, partition, &cfg.training}, in.catalog, &problems);
  const InstanceType* inst = in.catalog.find(choice.name);
  if (!inst) throw InputError(problems);
  p.instance = choice.name;
  p.instance_rule = choice.rule;
  p.platform = inst->platform;
  p.vcpus = inst->vcpus;
  p.ultraserver_nodes = inst->ultraserver_nodes;

  plan_workers(in, *inst, &p, &problems);
  plan_topology(in, *inst, &p, &problems);
  plan_parallelism(cfg.training, &p);
  if (cfg.torchtitan) plan_torchtitan_parallelism(*cfg.torchtitan, &p);
  p.job_id = in.launch.job_id;
  p.step_id = in.launch.step_id;
  p.restart_count = in.launch.restart_count;
  const bool ports_ok = plan_ports(in, &p, &problems);

  p.restart_dir = cfg.launch.log_dir + "/" + p.job_id + "/" + std::to_string(p.restart_count) + "/";
  p.log_dir = p.restart_dir + std::to_string(p.node_rank) + "/";
  p.effective_config = p.log_dir + "config.yaml";
  p.cache = config::resolve_cache_settings(cache_sources(&cfg, in.site), in.env, &problems);

  if (ports_ok && problems.empty()) {
    auto rules = validate_plan(p, cfg.training, *inst, cfg.launch.allow_devices_mismatch,
                               cfg.torchtitan ? &*cfg.torchtitan : nullptr);
    problems.insert(problems.end(), rules.begin(), rules.end());
  }
  throw_if_any(problems);

  plan_master(in, &p);
  p.env = derive_env(p, cfg.training, *inst, in.env, &p.warnings);
  p.command = backend_command(p, cfg, in.bindir);
  return p;
}

}  // namespace trn
