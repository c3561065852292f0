// What a node itself says about its EC2 instance type, read under a root directory
// ("/" on real nodes, a fake tree in tests: localslurm's $LOCALSLURM_DIR/nodes/<node>/).
// The same facts the SPANK plugin's discovery reads (shared/notes/neuron-devices.md):
// the DMI product name, then the first Neuron device's info/architecture/instance_type
// and device_name, under /sys/class/neuron_device or the driver's virtual folder.
// Exception-free (the plugin links common/).
#pragma once

#include <string>

#include "common/node_sysfs.h"

namespace trn {

struct NodeInstanceFacts {
  std::string instance_type;  // "trn1.32xlarge" when the node names a Trainium type; else ""
  std::string family;         // "trn1" | "trn2" | "" (from the name, or the device's chip name)
  std::string source;         // the file that said so (for the plan's "chosen by" line)
};

// "trn2.48xlarge" / "trn2" / "Trainium2" -> "trn2"; "" when not a Trainium name.
std::string trainium_family(const std::string& name);

// Never fails: a node that says nothing gives empty facts.
NodeInstanceFacts read_node_instance(const std::string& root);
// The same, with the node's Neuron devices already read (the plugin's discovery has
// them): no second scan of the device folders.
NodeInstanceFacts read_node_instance(const std::string& root, const NeuronDevices& devices);

}  // namespace trn
