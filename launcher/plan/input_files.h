// The files a job reads, checked on the node that will read them: every data prefix's
// .bin and .idx (data.data_prefix), the model's config.json (model.model_config), and
// for the Neuron backends the training script (launch.script, run from the working
// directory as torchrun runs it). `plan` inside an allocation and `preflight` run it on
// every node, so a file missing on one node (a filesystem not mounted there, a typo)
// is named before the job starts instead of failing one rank hours in.
#pragma once

#include <string>

#include "common/problem.h"
#include "launcher/plan/config_loader.h"

namespace trn {

// One Problem per missing or unreadable file: the key, the path and `node`.
Problems check_input_files(const LoadedConfig& cfg, const std::string& node);

}  // namespace trn
