// Where the nxdt backend's training script (launch.script, by default NxDT's
// training_orchestrator.py) is, as an absolute path, decided before any worker starts:
// torchrun and python3 would otherwise open a relative name in their working folder,
// and every worker fails with "can't open file" when that is not NxDT's examples/.
//   absolute launch.script   that file;
//   relative                 the first that is a readable regular file of
//     1. <config folder>/<script>   (every relative path in a config means the config's
//                                    folder: common/config/config_paths.h);
//     2. <config folder>/../<script> when the config folder is named "conf": NxDT's
//                                    examples/conf/*.yaml beside examples/<script>, the
//                                    layout train.sh relies on (--config-path=conf);
//     3. <working folder>/<script>  the seed tutorial's: cd neuronx-distributed-training/
//                                    examples, then sbatch ... srun.
// The installed package is not a place: the neuronx-distributed-training wheel installs
// only src/neuronx_distributed_training (setup.py, package_data empty at 9169aa0), not
// examples/training_orchestrator.py.
// script_candidates() is pure; find_script() probes them through the given function.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "common/problem.h"

namespace trn {

// The places, in order (one for an absolute script).
std::vector<std::string> script_candidates(const std::string& script, const std::string& config_dir,
                                           const std::string& cwd);

// What a probe says about one place: usable, or why not ("no such file", "not a
// regular file", "not readable: Permission denied").
struct ScriptProbe {
  bool ok = false;
  std::string why;
};

// The first usable place; else false with one Problem (exit 2) naming launch.script,
// every place looked in and why each failed, and the fix.
bool find_script(const std::string& script, const std::vector<std::string>& candidates,
                 const std::function<ScriptProbe(const std::string&)>& probe, std::string* found, Problem* problem);

// The filesystem's answer (stat: a regular file; access: readable).
ScriptProbe probe_script_file(const std::string& path);

// find_script() over this process's working folder and the real filesystem.
bool find_script_here(const std::string& script, const std::string& config_dir, std::string* found, Problem* problem);

}  // namespace trn
