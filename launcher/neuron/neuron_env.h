// The environment train_setup.sh and training_orchestrator.py derive, computed once
// here: EFA FI_*, MALLOC_ARENA_MAX, the precision table, NEURON_CC_FLAGS with
// --cache_dir and --lnc, NEURON_LOGICAL_NC_CONFIG, rendezvous variables.
// Like NxDT's set_env_variable, a variable the user already exported wins, except the
// ones train_setup.sh exports unconditionally (FI_*, MALLOC_ARENA_MAX,
// XLA_DISABLE_FUNCTIONALIZATION, HYDRA_FULL_ERROR; CCOM_SOCKET_IFNAME where upstream sets
// it), which are set as upstream sets them, with one warning naming what was replaced; and
// NEURON_CC_FLAGS, to which --cache_dir and --lnc are appended (and, for backends
// without NxDT's orchestrator, the config's and the precision's compiler flags). The compile cache is
// the plan's one resolved location (plan.cache), exported to every backend as
// TRN_TRAIN_CACHE_DIR (and to the Neuron ones as NEURON_COMPILE_CACHE_URL, plus
// --cache_dir for nxdt's PyTorch/XLA wrapper) so every node, and every later
// `trn-train cache`, agrees on it. TorchNeuron gets no XLA_* or NxDT/NeMo variables.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/config/training.h"
#include "common/env_map.h"
#include "launcher/plan/instance_catalog.h"
#include "launcher/plan/plan.h"

namespace trn {

// `warnings` (may be null) gets the one line about replaced user values.
std::map<std::string, std::string> derive_env(const Plan& plan, const config::TrainingConfig& training,
                                              const InstanceType& inst, const EnvMap& user_env,
                                              std::vector<std::string>* warnings = nullptr);

// One task per worker under torch-elastic variables: torch-xla maps LOCAL_RANK to the
// LOCAL_RANK-th core of NEURON_RT_VISIBLE_CORES and requires LOCAL_WORLD_SIZE of them
// (torch_xla/_internal/neuron_utils.py remap_visible_cores). From this task's value (the
// plugin's: one core per task), *out gets the value that makes torch-xla keep exactly
// this task's core ("" = leave it as it is: unset, or already the node's cores). False
// with *why (exit 2) when no value can: several cores per task, a malformed list.
bool torch_elastic_visible_cores(const std::optional<std::string>& task_cores, int local_rank, int local_world,
                                 std::string* out, Problem* why);

}  // namespace trn
