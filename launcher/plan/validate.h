// Every rule NxD/NxDT checks late, never, or by silent truncation, checked before
// anything runs (research: neuron-anchor §2.2, §1.4, §8). Each violation names the
// key, the value and the fix; all are reported together.
#pragma once

#include <vector>

#include "common/config/training.h"
#include "common/problem.h"
#include "launcher/plan/instance_catalog.h"
#include "launcher/plan/plan.h"
#include "launcher/plan/torchtitan_config.h"

namespace trn {

// `plan` has the parallel degrees and derived sizes filled in; `training` is the config;
// `torchtitan` the TOML job config of a torchneuron TorchTitan run (null: none).
Problems validate_plan(const Plan& plan, const config::TrainingConfig& training, const InstanceType& instance,
                       bool allow_devices_mismatch, const TorchTitanConfig* torchtitan = nullptr);

}  // namespace trn
