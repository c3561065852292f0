// What one step on one node exports to its tasks: validated once per step
// (plan_step), then the per-task variables (task_env). Pure: no Slurm calls.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "common/problem.h"
#include "spank/device_discovery.h"
#include "spank/options.h"
#include "spank/plugin_args.h"

namespace neuron {

using EnvVar = std::pair<std::string, std::string>;

struct StepInputs {
  PluginConfig config;
  UserOptions options;
  NodeInventory inventory;
  int efa_devices = 0;
  std::string efa_note;        // where EFA was looked for (for the error message)
  std::string node;            // this node's Slurm name
  uint32_t job_id = 0;
  uint32_t step_id = 0;
  int local_tasks = 0;
  std::string root_comm_ip;    // IPv4 of the step's first node; empty = unknown
  // The job's own NEURON_LOGICAL_NC_CONFIG (srun --export / the user's shell): the LNC
  // the task's runtime will really use, since the user's value wins over the plugin's.
  bool task_lnc_set = false;
  std::string task_lnc;
};

struct StepPlan {
  bool neuron_node = false;    // false: nothing to do on this node
  int lnc = 0;                 // the task's LNC: the job's NEURON_LOGICAL_NC_CONFIG, else
                               // --neuron-lnc, else the plugstack's lnc=, else 2 (0: trn1)
  int logical_cores = 0;
  std::vector<EnvVar> common;  // identical for every task of the step on this node
};

// Checks the request against the node. False with *problem naming the option or
// plugstack key, the value, and (in the fix) the node.
bool plan_step(const StepInputs& in, StepPlan* plan, trn::Problem* problem);

// The variables task `task_id` (0-based on this node) gets, in setting order.
bool task_env(const StepInputs& in, const StepPlan& plan, int task_id, std::vector<EnvVar>* vars,
              trn::Problem* problem);

}  // namespace neuron
