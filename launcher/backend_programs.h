// Before any rank starts: every program the backend command starts must exist, or
// the job fails on every node at once with a shell's "command not found" buried in
// the output. One Problem per missing program, with where it comes from.
#pragma once

#include <string>

#include "common/problem.h"
#include "launcher/plan.h"

namespace trn {

// Checks command[0] and, behind neuron_parallel_compile, the command it wraps.
// Bare names are searched in `path_env` (the PATH the backend will see); names
// with a '/' must be executable files.
Problems check_backend_programs(const Plan& plan, const std::string& path_env);

// The executable `name` would run as, searched like execvp (empty PATH entries are
// the current folder); "" when there is none.
std::string find_program(const std::string& name, const std::string& path_env);

}  // namespace trn
