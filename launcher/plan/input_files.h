// The files a job reads, checked on the node that will read them: every data prefix's
// .bin and .idx (data.data_prefix), the model's config.json (model.model_config), and
// for the Neuron backends the training script (launch.script: nxdt's resolved as
// launcher/plan/script_path.h says, torchneuron's from the working directory). `plan` inside an allocation and `preflight` run it on
// every node, so a file missing on one node (a filesystem not mounted there, a typo)
// is named before the job starts instead of failing one rank hours in.
#pragma once

#include <optional>
#include <string>

#include "common/problem.h"
#include "launcher/plan/config_loader.h"

namespace trn {

// The nxdt script (launch.script) is a readable regular file, found as planning finds it
// (launcher/plan/script_path.h); else the Problem naming every place looked in.
std::optional<Problem> check_nxdt_script(const LoadedConfig& cfg);

// One Problem per missing or unreadable file: the key, the path and `node`.
Problems check_input_files(const LoadedConfig& cfg, const std::string& node);

}  // namespace trn
