// Neuron devices of this node, read from a root directory ("/" on real nodes, a
// fake tree in tests): /sys/class/neuron_device/neuronN (or the driver's
// /sys/devices/virtual/neuron_device), each with core_count and
// info/architecture/*, falling back to counting /dev/neuronN; the instance type
// from /sys/class/dmi/id/product_name. Never throws.
#pragma once

#include <string>

#include "spank/plugin_args.h"

namespace neuron {

struct NodeInventory {
  std::string family;         // "trn1", "trn2", or "" when unknown
  std::string instance_type;  // e.g. "trn1.32xlarge"; may be empty
  int devices = 0;
  int physical_cores = 0;     // NeuronCores at LNC=1
  std::string cores_source;   // "sysfs", "catalog", "plugstack"
};

// Joins root and an absolute path inside it ("/" + "/sys" -> "/sys").
std::string under_root(const std::string& root, const std::string& path);

// Fills *inv. A node without Neuron devices gives devices == 0 (not an error).
void discover_neuron(const std::string& root, const PluginConfig& config, NodeInventory* inv);

}  // namespace neuron
