#include "spank/task_env.h"

#include "common/ports.h"
#include "spank/core_placement.h"

namespace neuron {

namespace {
std::string cores_value(const UserOptions& o) {
  return o.cores == UserOptions::Cores::kAll ? "all" : std::to_string(o.cores_per_task);
}

// The job's own NEURON_LOGICAL_NC_CONFIG, checked against the node and --neuron-lnc: the
// runtime reads it, so cores placed for another LNC would name other cores (defect 2).
bool lnc_from_job(const StepInputs& in, const std::string& fam, trn::Problem* problem) {
  if (!in.task_lnc_set) return true;
  const std::string& v = in.task_lnc;
  const std::string key = "NEURON_LOGICAL_NC_CONFIG";
  if (!trn::chip_facts(in.inventory.platform).lnc_configurable) {
    if (v == "1") return true;  // what such a node is anyway (a profile that sets it everywhere)
    *problem = {key, shown_value(v), "logical NeuronCore config applies only to trn2 and trn3; node " + in.node +
                                         " is " + fam + ": unset it in the job's environment"};
    return false;
  }
  if (v != "1" && v != "2") {
    *problem = {key, shown_value(v), "must be 1 or 2 (the job's environment sets it); unset it or use --neuron-lnc"};
    return false;
  }
  if (in.options.lnc && in.options.lnc != v[0] - '0') {
    *problem = {key, v, "contradicts --neuron-lnc=" + std::to_string(in.options.lnc) +
                            " (the task would run with " + v + "); drop one of them or make them agree"};
    return false;
  }
  return true;
}
}  // namespace

bool plan_step(const StepInputs& in, StepPlan* plan, trn::Problem* problem) {
  StepPlan p;
  const NodeInventory& inv = in.inventory;
  const UserOptions& o = in.options;
  const std::string fam = inv.platform == trn::Platform::kUnknown ? "unknown type" : trn::to_string(inv.platform);
  p.neuron_node = inv.physical_cores > 0;
  if (!p.neuron_node) {
    if (o.cores != UserOptions::Cores::kEvenSplit || o.lnc != 0) {
      *problem = {o.lnc ? "--neuron-lnc" : "--neuron-cores", o.lnc ? std::to_string(o.lnc) : cores_value(o),
                  "node " + in.node + " has no Neuron devices (looked under " +
                      under_root(in.config.root, "/sys/class/neuron_device") +
                      " and /dev/neuron*); run on a trn1/trn2/trn3 partition"};
      return false;
    }
    *plan = p;
    return true;
  }
  // LNC (trn2, trn3): the job's own NEURON_LOGICAL_NC_CONFIG (which the task keeps, so
  // the cores are placed for it), else the user's option, else the admin default, else 2.
  if (!lnc_from_job(in, fam, problem)) return false;
  if (trn::chip_facts(inv.platform).lnc_configurable) {
    p.lnc = in.task_lnc_set ? in.task_lnc[0] - '0' : o.lnc ? o.lnc : (in.config.lnc ? in.config.lnc : 2);
    if (inv.physical_cores % p.lnc != 0) {
      *problem = {o.lnc ? "--neuron-lnc" : "lnc", std::to_string(p.lnc),
                  "node " + in.node + " has " + std::to_string(inv.physical_cores) +
                      " physical NeuronCores, not a multiple of it; use --neuron-lnc=1"};
      return false;
    }
  } else if (o.lnc) {
    *problem = {"--neuron-lnc", std::to_string(o.lnc),
                "logical NeuronCore config applies only to trn2 and trn3; node " + in.node + " is " + fam +
                    " (drop --neuron-lnc there)"};
    return false;
  }
  p.logical_cores = inv.physical_cores / (p.lnc ? p.lnc : 1);

  // Validate the placement once (every task shares the rule).
  CoreRange r;
  if (!place_task(o, p.logical_cores, in.local_tasks, 0, in.node, &r, problem)) return false;

  if (in.efa_devices == 0 && in.config.efa == EfaMode::kRequired) {
    *problem = {"efa", "required", "node " + in.node + " has no EFA device (" + in.efa_note +
                                       "); check the EFA driver, or drain the node"};
    return false;
  }
  if (p.lnc) p.common.emplace_back("NEURON_LOGICAL_NC_CONFIG", std::to_string(p.lnc));
  if (o.env) {
    if (in.efa_devices > 0 && in.config.efa != EfaMode::kOff) {
      p.common.emplace_back("FI_PROVIDER", "efa");
      p.common.emplace_back("FI_EFA_USE_DEVICE_RDMA", "1");
      p.common.emplace_back("FI_EFA_FORK_SAFE", "1");
    }
    if (!in.root_comm_ip.empty()) {
      uint16_t port = trn::step_port(in.job_id, in.step_id, in.config.root_comm_ports);
      p.common.emplace_back("NEURON_RT_ROOT_COMM_ID", in.root_comm_ip + ":" + std::to_string(port));
    }
    const std::string& cache = o.cache_url.empty() ? in.config.cache_dir : o.cache_url;
    if (!cache.empty()) p.common.emplace_back("NEURON_COMPILE_CACHE_URL", cache);
  }
  *plan = p;
  return true;
}

bool task_env(const StepInputs& in, const StepPlan& plan, int task_id, std::vector<EnvVar>* vars,
              trn::Problem* problem) {
  vars->clear();
  if (!plan.neuron_node) return true;
  CoreRange r;
  if (!place_task(in.options, plan.logical_cores, in.local_tasks, task_id, in.node, &r, problem)) return false;
  if (r.count > 0) vars->emplace_back("NEURON_RT_VISIBLE_CORES", format_range(r));
  vars->insert(vars->end(), plan.common.begin(), plan.common.end());
  return true;
}

}  // namespace neuron
