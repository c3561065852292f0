// The process environment as a value, so planning is a pure function that unit tests
// drive with hand-written Slurm / OMPI / Batch environments.
#pragma once

#include <map>
#include <optional>
#include <string>

namespace trn {

using EnvMap = std::map<std::string, std::string>;

EnvMap current_environment();
std::optional<std::string> lookup(const EnvMap& env, const std::string& key);

}  // namespace trn
