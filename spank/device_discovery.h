// Neuron devices of this node, read from a root directory ("/" on real nodes, a
// fake tree in tests) through common/node_sysfs.h and common/node_instance.h: the
// driver's neuronN list with each core_count, else /dev/neuronN; the instance type
// from DMI or the first device's info, unless the plugstack names one. Never throws.
#pragma once

#include <string>

#include "common/node_sysfs.h"
#include "common/platform.h"
#include "spank/plugin_args.h"

namespace neuron {

struct NodeInventory {
  trn::Platform platform = trn::Platform::kUnknown;  // the Trainium generation; kUnknown when unknown
  std::string instance_type;  // e.g. "trn1.32xlarge"; may be empty
  int devices = 0;
  int physical_cores = 0;     // NeuronCores at LNC=1
  std::string cores_source;   // "sysfs", "catalog", "plugstack"
};

using trn::under_root;

// Fills *inv. A node without Neuron devices gives devices == 0 (not an error).
void discover_neuron(const std::string& root, const PluginConfig& config, NodeInventory* inv);

}  // namespace neuron
