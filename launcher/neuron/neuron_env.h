// The environment train_setup.sh and training_orchestrator.py derive, computed once
// here: EFA FI_*, MALLOC_ARENA_MAX, the precision table, NEURON_CC_FLAGS with
// --cache_dir and --lnc, NEURON_LOGICAL_NC_CONFIG, rendezvous variables.
// Like NxDT's set_env_variable, a variable the user already exported wins, except
// NEURON_CC_FLAGS, to which --cache_dir and --lnc are appended (and, for backends
// without NxDT's orchestrator, the config's and the precision's compiler flags). The compile cache is
// the plan's one resolved location (plan.cache), exported to every backend as
// TRN_TRAIN_CACHE_DIR (and to the Neuron ones as NEURON_COMPILE_CACHE_URL, plus
// --cache_dir for nxdt's PyTorch/XLA wrapper) so every node, and every later
// `trn-train cache`, agrees on it. TorchNeuron gets no XLA_* or NxDT/NeMo variables.
#pragma once

#include <map>
#include <string>

#include "common/config/training.h"
#include "common/env_map.h"
#include "launcher/plan/instance_catalog.h"
#include "launcher/plan/plan.h"

namespace trn {

std::map<std::string, std::string> derive_env(const Plan& plan, const config::TrainingConfig& training,
                                              const InstanceType& inst, const EnvMap& user_env);

}  // namespace trn
