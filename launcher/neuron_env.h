// The environment train_setup.sh and training_orchestrator.py derive, computed once
// here: EFA FI_*, MALLOC_ARENA_MAX, the precision table, NEURON_CC_FLAGS with
// --cache_dir and --lnc, NEURON_LOGICAL_NC_CONFIG, rendezvous variables.
// Like NxDT's set_env_variable, a variable the user already exported wins, except
// NEURON_CC_FLAGS, to which the config's flags are appended.
#pragma once

#include <yaml-cpp/yaml.h>

#include <map>
#include <string>

#include "launcher/env_map.h"
#include "launcher/instance_catalog.h"
#include "launcher/plan.h"

namespace trn {

std::map<std::string, std::string> derive_env(const Plan& plan, const YAML::Node& root, const InstanceType& inst,
                                              const EnvMap& user_env, const SiteConfig& site);

}  // namespace trn
