// What a node itself says about its EC2 instance type, read under a root directory
// ("/" on real nodes, a fake tree in tests: tests/fixtures/neuron_device_tree.sh).
// The same facts the SPANK plugin's discovery reads (shared/notes/neuron-devices.md):
// the DMI product name, then the first Neuron device's info/architecture/instance_type,
// device_name and arch_type, under /sys/class/neuron_device or the driver's virtual
// folder; and the node's shape (devices, cores per device, NeuronCore version), which
// names the type when the EC2 name is one the catalog does not know (Trn3: the docs
// give no per-server EC2 names). Exception-free (the plugin links common/).
#pragma once

#include <string>

#include "common/node_sysfs.h"
#include "common/platform.h"

namespace trn {

struct NodeInstanceFacts {
  std::string instance_type;  // "trn1.32xlarge" when the node names a Trainium type; else ""
  Platform platform = Platform::kUnknown;  // from the name, the device's chip name or its arch_type
  std::string source;         // the file that said so (for the plan's "chosen by" line)
  // The node's shape from its Neuron sysfs (0 when unread): what instance resolution
  // matches against the catalog when the name is unknown.
  int devices = 0;
  int cores_per_device = 0;   // the first device's core_count
  int neuroncore_version = 0; // from the chip (device_name / arch_type)
  std::string shape_source;   // the device folder the shape was read from
};

// Never fails: a node that says nothing gives empty facts.
NodeInstanceFacts read_node_instance(const std::string& root);
// The same, with the node's Neuron devices already read (the plugin's discovery has
// them): no second scan of the device folders.
NodeInstanceFacts read_node_instance(const std::string& root, const NeuronDevices& devices);

// "16 x Trainium3 (8 NeuronCore-v4 each)" for messages; "" when the shape is unread.
std::string shape_text(const NodeInstanceFacts& f);

}  // namespace trn
