// Plugstack arguments of spank_neuron.so: strict `key=value` tokens (an unknown key,
// a token without '=', or a bad value is a Problem naming the key and the value).
#pragma once

#include <string>
#include <vector>

#include "common/ports.h"
#include "common/problem.h"

namespace neuron {

enum class EfaMode { kAuto, kRequired, kOff };

struct PluginConfig {
  std::string root = "/";           // device tree root; `%n` = Slurm node name (test aid)
  std::string instance;             // override: "trn1", "trn2", "trn3", or a type like trn2.48xlarge
  int cores_per_node = 0;           // override: physical NeuronCores per node (0 = discover)
  int lnc = 0;                      // default LNC on trn2/trn3 nodes (0 = 2); ignored on trn1
  EfaMode efa = EfaMode::kAuto;
  std::string cache_dir;            // default NEURON_COMPILE_CACHE_URL
  // THE root-comm range: the launcher has none of its own to configure (it keeps this
  // plugin's NEURON_RT_ROOT_COMM_ID, else derives with trn::step_port from the default).
  trn::PortRange root_comm_ports = trn::kDefaultRootCommPorts;
};

// Parses the plugstack arguments (args[0] is the first argument, not the plugin
// path). False with *problem = {key, value given, what is accepted}.
bool parse_plugin_args(const std::vector<std::string>& args, PluginConfig* config, trn::Problem* problem);

// Replaces every "%n" in `pattern` with `node_name` ("%%" gives a literal '%').
std::string expand_node_pattern(const std::string& pattern, const std::string& node_name);

// Parses a whole decimal number in [lo, hi]; false on anything else (no sign, no spaces).
bool parse_int(const std::string& text, int lo, int hi, int* out);

// A value as a Problem shows it: "(empty)" for "".
std::string shown_value(const std::string& value);

}  // namespace neuron
