// Before any rank starts: every program the backend command starts must exist, or
// the job fails on every node at once with a shell's "command not found" buried in
// the output. One Problem per missing program, with where it comes from. Also checked
// here, for the same reason: the PyTorch generation the backend needs
// (launcher/neuron/neuron_sdk.h) and that the compile cache can be used.
#pragma once

#include <string>

#include "common/problem.h"
#include "launcher/plan/plan.h"

namespace trn {

// Checks command[0] and, behind neuron_parallel_compile, the command it wraps (and
// neuronx-cc for `--command collect`, which `run` follows with its own compile).
// Bare names are searched in `path_env` (the PATH the backend will see); names
// with a '/' must be executable files.
// Then the torch next to the launcher found (launcher/neuron/neuron_sdk.h) and the cache.
Problems check_backend_programs(const Plan& plan, const std::string& path_env);

// The compile cache every rank will use: a local folder that exists and is writable,
// or can be made (its nearest existing parent is a writable folder). s3:// goes to
// Neuron unchecked (credentials are the node's business); any other scheme is refused.
Problems check_cache_location(const CacheSettings& cache);

// The executable `name` would run as, searched like execvp (empty PATH entries are
// the current folder); "" when there is none.
std::string find_program(const std::string& name, const std::string& path_env);

}  // namespace trn
