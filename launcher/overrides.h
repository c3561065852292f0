// Hydra-style command-line overrides (`trainer.max_steps=10`, `model.fusions.softmax=false`),
// applied to the loaded YAML like NxDT applies them, so the Plan sees what the trainer sees.
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>
#include <vector>

namespace trn {

struct Override {
  std::vector<std::string> path;  // "a.b.c" split on '.'
  std::string text;               // right-hand side as written
};

// Throws InputError for anything that is not KEY=VALUE with a non-empty dotted key.
Override parse_override(const std::string& arg);

// Sets the value (parsed as a YAML scalar/flow value, so `[1,2]` and `true` keep their
// type), creating intermediate maps. `+key=value` (Hydra's append) is accepted too.
void apply_override(YAML::Node& root, const Override& o);

}  // namespace trn
