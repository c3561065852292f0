// spank_neuron.so entry points: the only file that talks to Slurm. Each callback
// is a thin dispatcher: read what Slurm gives (checking every spank_* return
// code), call the pure logic (plugin_args, options, device/efa discovery,
// core_placement, task_env), apply the result. No exception leaves this file:
// every entry point is wrapped in a catch-all.
//
// Contexts: options are registered in local (srun), allocator (sbatch/salloc)
// and remote (slurmstepd) context and validated locally, so srun fails before it
// launches anything. Per step on a node, user_init discovers devices and plans;
// errors are recorded there (Slurm ignores user_init failures under srun) and
// reported by task_init, which also sets each task's environment. Batch, extern
// and interactive steps are skipped. slurmd context never fails (a failing
// required plugin would stop slurmd).
extern "C" {
#include <slurm/slurm.h>
#include <slurm/spank.h>
}

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "common/node_sysfs.h"
#include "common/problem.h"
#include "spank/device_discovery.h"
#include "spank/efa_discovery.h"
#include "spank/options.h"
#include "spank/plugin_args.h"
#include "spank/step_nodes.h"
#include "spank/task_env.h"

// SPANK_PLUGIN defines const objects, internal in C++: declare them extern "C" first.
#pragma GCC visibility push(default)
extern "C" const char plugin_name[];
extern "C" const char plugin_type[];
extern "C" const unsigned int plugin_version;
extern "C" const unsigned int spank_plugin_version;
SPANK_PLUGIN(neuron, 1)
#pragma GCC visibility pop

#define NEURON_EXPORT extern "C" __attribute__((visibility("default")))

namespace {

using neuron::EnvVar;

struct State {
  neuron::PluginConfig config;
  neuron::UserOptions options;
  std::string option_error;  // a bad option value seen in remote context (Problem::str())
  bool skip = true;          // special step, or not a remote step
  std::string step_error;    // reported by task_init (Problem::str() or an internal failure)
  neuron::StepInputs in;
  neuron::StepPlan plan;
};
State* g = nullptr;  // allocated on first use; slurmstepd/srun exit frees it

State& state() {
  if (!g) g = new State();
  return *g;
}

// Every error the plugin prints: "neuron: error: key = value: fix" for a Problem.
// From slurmstepd (remote), slurm_error reaches srun's stderr too, so the user
// sees it (and it stays in the node's log).
void report(const std::string& text) { slurm_error("neuron: error: %s", text.c_str()); }

// One option callback: parse into the shared options; local errors stop srun/sbatch.
using parse_f = bool (*)(const char*, neuron::UserOptions*, trn::Problem*);
int option_cb(parse_f parse, const char* arg, int remote) {
  try {
    trn::Problem problem;
    if (parse(arg, &state().options, &problem)) return 0;
    if (remote) {  // validated locally already; report it from task_init
      state().option_error = problem.str();
      return 0;
    }
    report(problem.str());
  } catch (...) {
    report("internal error while reading an option");
  }
  return -1;
}

int cb_cores(int, const char* arg, int remote) { return option_cb(neuron::parse_cores_option, arg, remote); }
int cb_lnc(int, const char* arg, int remote) { return option_cb(neuron::parse_lnc_option, arg, remote); }
int cb_cache(int, const char* arg, int remote) { return option_cb(neuron::parse_cache_option, arg, remote); }
int cb_env(int, const char* arg, int remote) { return option_cb(neuron::parse_env_option, arg, remote); }
int cb_verbose(int, const char*, int) {
  try {
    state().options.verbose = true;
  } catch (...) {
    return -1;
  }
  return 0;
}

struct spank_option g_options[] = {
    {const_cast<char*>("neuron-cores"), const_cast<char*>("N|all"),
     const_cast<char*>("[neuron] NeuronCores per task (default: the node's cores split evenly among its tasks; "
                       "'all': every task sees all)"),
     1, 0, cb_cores},
    {const_cast<char*>("neuron-lnc"), const_cast<char*>("1|2"),
     const_cast<char*>("[neuron] logical NeuronCore size on trn2/trn3 (default 2); sets NEURON_LOGICAL_NC_CONFIG"), 1, 0,
     cb_lnc},
    {const_cast<char*>("neuron-cache"), const_cast<char*>("URL"),
     const_cast<char*>("[neuron] NEURON_COMPILE_CACHE_URL for the tasks (default: the site's cache_dir)"), 1, 0,
     cb_cache},
    {const_cast<char*>("neuron-env"), const_cast<char*>("on|off"),
     const_cast<char*>("[neuron] 'off': set no FI_*, NEURON_RT_ROOT_COMM_ID or cache variables (placement stays)"),
     1, 0, cb_env},
    {const_cast<char*>("neuron-verbose"), nullptr,
     const_cast<char*>("[neuron] print the NeuronCores and environment each task gets"), 0, 0, cb_verbose},
};

std::vector<std::string> args_of(int ac, char** av) {
  std::vector<std::string> args;
  for (int i = 0; i < ac; ++i)
    if (av && av[i]) args.emplace_back(av[i]);
  return args;
}

// spank_getenv into a std::string (node lists can be long); false when absent.
bool get_env(spank_t sp, const char* name, std::string* out) {
  for (size_t size : {size_t(4096), size_t(1) << 20}) {
    std::string buf(size, '\0');
    spank_err_t rc = spank_getenv(sp, name, &buf[0], static_cast<int>(size));
    if (rc == ESPANK_NOSPACE) continue;
    if (rc != ESPANK_SUCCESS) return false;
    *out = buf.c_str();
    return true;
  }
  return false;
}

bool user_has(spank_t sp, const char* name) {
  char buf[8];
  spank_err_t rc = spank_getenv(sp, name, buf, sizeof buf);
  return rc == ESPANK_SUCCESS || rc == ESPANK_NOSPACE;
}

bool is_special_step(uint32_t step) {
  return step == SLURM_BATCH_SCRIPT || step == SLURM_EXTERN_CONT || step == SLURM_INTERACTIVE_STEP ||
         step == SLURM_PENDING_STEP;
}

// Per-step work on this node (remote user_init): returns "" or an error line.
std::string plan_this_step(spank_t sp, State& s) {
  uint32_t job = 0, step = 0, nodeid = 0, ntasks = 0;
  spank_err_t rc;
  if ((rc = spank_get_item(sp, S_JOB_ID, &job)) != ESPANK_SUCCESS ||
      (rc = spank_get_item(sp, S_JOB_STEPID, &step)) != ESPANK_SUCCESS ||
      (rc = spank_get_item(sp, S_JOB_NODEID, &nodeid)) != ESPANK_SUCCESS ||
      (rc = spank_get_item(sp, S_JOB_LOCAL_TASK_COUNT, &ntasks)) != ESPANK_SUCCESS)
    return std::string("cannot read the step's ids from Slurm: ") + spank_strerror(rc);
  if (is_special_step(step)) return "";  // s.skip stays true
  s.skip = false;

  neuron::StepInputs& in = s.in;
  in.job_id = job;
  in.step_id = step;
  in.local_tasks = static_cast<int>(ntasks);
  in.options = s.options;

  // This node's name: index S_JOB_NODEID into the step's node list (the job env
  // still holds the submitter's SLURMD_NODENAME at this point).
  if (!s.option_error.empty()) return s.option_error;
  std::string nodelist, first_node, error;
  trn::Problem problem;
  if (!get_env(sp, "SLURM_STEP_NODELIST", &nodelist))
    return trn::Problem{"SLURM_STEP_NODELIST", "(unset)", "Slurm sets it in every step; check slurmd"}.str();
  if (!neuron::step_hosts(nodelist, nodeid, &in.node, &first_node, &problem)) return problem.str();

  // The LNC the task will really run with: the job's own value wins over the plugin's.
  in.task_lnc_set = get_env(sp, "NEURON_LOGICAL_NC_CONFIG", &in.task_lnc);

  in.config = s.config;
  in.config.root = neuron::expand_node_pattern(s.config.root, in.node);
  neuron::discover_neuron(in.config.root, in.config, &in.inventory);

  if (in.config.efa != neuron::EfaMode::kOff) {
    in.efa_devices = trn::count_efa_devices(in.config.root);
    in.efa_note = "none under " + neuron::under_root(in.config.root, "/sys/class/infiniband");
    if (in.efa_devices == 0 && neuron::under_root(in.config.root, "/") == "/") {
      std::string note;
      in.efa_devices = neuron::count_efa_libfabric(&note);
      if (in.efa_devices == 0) in.efa_note += "; " + note;
    }
  }

  // Root-comm address: the step's first node. Unresolvable: leave it unset (the
  // launcher then derives its own, trn::step_port in the default range) and say so
  // in the node log.
  if (in.inventory.physical_cores > 0 && in.options.env) {
    std::string ip;
    if (neuron::resolve_ipv4(first_node, in.config.root, &ip, &error)) {
      in.root_comm_ip = ip;
    } else {
      slurm_verbose("neuron: %s; NEURON_RT_ROOT_COMM_ID not set", error.c_str());
    }
  }
  if (!neuron::plan_step(in, &s.plan, &problem)) return problem.str();
  slurm_verbose("neuron: step %u.%u on %s: %s (%s), %d devices, %d physical cores (%s), %d logical, lnc %d, %d EFA",
                job, step, in.node.c_str(), in.inventory.instance_type.c_str(), trn::to_string(in.inventory.platform),
                in.inventory.devices, in.inventory.physical_cores, in.inventory.cores_source.c_str(),
                s.plan.logical_cores, s.plan.lnc, in.efa_devices);
  return "";
}

}  // namespace

NEURON_EXPORT int slurm_spank_init(spank_t sp, int ac, char** av) {
  try {
    State& s = state();
    spank_context_t ctx = spank_context();
    trn::Problem problem;
    if (!neuron::parse_plugin_args(args_of(ac, av), &s.config, &problem)) {
      report(problem.str());
      // slurmd and prolog/epilog: never fail there (a failing required plugin stops slurmd).
      return (ctx == S_CTX_SLURMD || ctx == S_CTX_JOB_SCRIPT) ? 0 : -1;
    }
    if (ctx != S_CTX_LOCAL && ctx != S_CTX_REMOTE && ctx != S_CTX_ALLOCATOR) return 0;
    for (struct spank_option& opt : g_options) {
      spank_err_t rc = spank_option_register(sp, &opt);
      if (rc != ESPANK_SUCCESS) {
        report(std::string("cannot register --") + opt.name + ": " + spank_strerror(rc));
        return -1;
      }
    }
    return 0;
  } catch (...) {
    report("internal error in init");
    return -1;
  }
}

NEURON_EXPORT int slurm_spank_user_init(spank_t sp, int, char**) {
  try {
    State& s = state();
    s.skip = true;
    s.step_error.clear();
    if (!spank_remote(sp)) return 0;
    s.step_error = plan_this_step(sp, s);
    if (!s.step_error.empty()) {
      s.skip = false;
      slurm_debug("neuron: step refused: %s", s.step_error.c_str());  // reported by task_init
    }
  } catch (...) {
    state().skip = false;
    state().step_error = "internal error while planning the step";
  }
  return 0;  // errors are reported per task in task_init (srun ignores user_init's)
}

NEURON_EXPORT int slurm_spank_task_init(spank_t sp, int, char**) {
  try {
    State& s = state();
    if (s.skip || !spank_remote(sp)) return 0;
    int task = 0;
    spank_err_t rc = spank_get_item(sp, S_TASK_ID, &task);
    if (rc != ESPANK_SUCCESS) {
      report(std::string("cannot read the task id: ") + spank_strerror(rc));
      return -1;
    }
    if (!s.step_error.empty()) {
      if (task == 0) report(s.step_error);  // once per node, not once per task
      return -1;
    }
    std::vector<EnvVar> vars;
    trn::Problem problem;
    if (!neuron::task_env(s.in, s.plan, task, &vars, &problem)) {
      if (task == 0) report(problem.str());
      return -1;
    }
    std::string shown;
    for (const EnvVar& v : vars) {
      if (user_has(sp, v.first.c_str())) {  // the user's own value wins
        shown += " " + v.first + "=(user's)";
        continue;
      }
      rc = spank_setenv(sp, v.first.c_str(), v.second.c_str(), 1);
      if (rc != ESPANK_SUCCESS) {
        report("cannot set " + v.first + ": " + spank_strerror(rc));
        return -1;
      }
      shown += " " + v.first + "=" + v.second;
    }
    if (s.options.verbose) {
      int global = -1;
      if (spank_get_item(sp, S_TASK_GLOBAL_ID, &global) != ESPANK_SUCCESS) global = -1;
      std::string line = "neuron: task " + std::to_string(global) + " (local " + std::to_string(task) + ") on " + s.in.node + ":" +
                (shown.empty() ? std::string(" no Neuron devices, nothing set") : shown);
      slurm_spank_log("%s", line.c_str());  // printed by srun, without "error:"
    }
    return 0;
  } catch (...) {
    report("internal error while setting the task's environment");
    return -1;
  }
}

NEURON_EXPORT int slurm_spank_exit(spank_t, int, char**) {
  try {
    delete g;
    g = nullptr;
  } catch (...) {
  }
  return 0;
}
