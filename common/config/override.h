// The one override parser: a command-line `key=value` read by Hydra's basic override
// grammar as its documentation gives it (hydra.cc, "Basic Override syntax"), so that
// `plan`, `run`, `submit`, `preflight` and trn-train-native give one verdict, the one
// NxDT's Hydra is documented to give. (hydra-core is not packaged for Debian, so the
// tests check the documented grammar, not Hydra itself.)
//
//   key=value     set a key that exists (a missing one is an error, as in Hydra's struct mode)
//   +key=value    add a key that does not exist yet
//   ++key=value   add or set
//   ~key          delete a key that exists; ~key=value only when it holds that value
//
// Values: `null`, true/false, integers (1_000), floats (3e-4, inf, nan), quoted strings
// ('a b', "x,y"), lists [a, b], dicts {a: 1, b: 2}, `${other.key}` interpolations kept as
// text, and unquoted strings (trimmed). A top-level comma is a Hydra sweep, which needs
// --multirun: refused, as a plain Hydra run refuses it. Sweep functions (choice, range,
// glob) and config groups (a/b=x, key@pkg) are refused: the NxDT configs have no defaults list.
// Pure: no I/O, no exceptions.
#pragma once

#include <yaml-cpp/yaml.h>

#include <optional>
#include <string>

#include "common/problem.h"

namespace trn::config {

enum class OverrideKind { kSet, kAdd, kForceAdd, kDelete };

struct Override {
  OverrideKind kind = OverrideKind::kSet;
  std::string key;                 // dotted, without the prefix
  std::optional<YAML::Node> value;  // absent only for `~key`
  std::string arg;                 // as given (Hydra is handed it unchanged)
};

// One override, or nullopt with a Problem naming it, the value and the fix.
std::optional<Override> parse_override(const std::string& arg, Problems* problems);

// `value` written so that parse_override (and Hydra) read it back unchanged: scalars
// quoted where they hold characters an unquoted value cannot, lists and dicts in brackets.
std::string hydra_value(const YAML::Node& value);

}  // namespace trn::config
