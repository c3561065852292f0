// The launcher's view of common/launch_env.h: bad launch variables unwind planning as
// an InputError (launcher/errors.h), like every other piece of bad input.
#pragma once

#include "common/launch_env.h"
#include "launcher/errors.h"

namespace trn {

// `fqdn`: this host's full name (common/ipv4.h this_host_fqdn), for the MPI Operator's pods.
inline LaunchEnv detect_launch_env(const EnvMap& env, std::optional<int> nodes_hint, const std::string& fqdn = "") {
  LaunchEnv le;
  Problems problems;
  if (!read_launch_env(env, nodes_hint, fqdn, &le, &problems)) throw InputError(problems);
  return le;
}

}  // namespace trn
