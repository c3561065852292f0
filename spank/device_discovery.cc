#include "spank/device_discovery.h"

#include "common/node_instance.h"

namespace neuron {

namespace {

int catalog_cores_per_device(const std::string& family) {
  if (family == "trn2") return 8;
  if (family == "trn1") return 2;
  return 0;
}

}  // namespace

void discover_neuron(const std::string& root, const PluginConfig& config, NodeInventory* inv) {
  NodeInventory out;
  const trn::NeuronDevices found = trn::read_neuron_devices(root);
  // The driver's list, else the device nodes a process would open.
  out.devices = found.devices > 0 ? found.devices : found.dev_nodes;

  // Instance type / family: the plugstack's override, else what the node says.
  if (!config.instance.empty()) {
    out.instance_type = config.instance.find('.') != std::string::npos ? config.instance : "";
    out.family = trn::trainium_family(config.instance);
  } else {
    const trn::NodeInstanceFacts node = trn::read_node_instance(root, found);
    out.instance_type = node.instance_type;
    out.family = node.family;
  }

  // Cores: plugstack override, sum of core_count, catalog cores per device.
  if (config.cores_per_node > 0) {
    out.physical_cores = config.cores_per_node;
    out.cores_source = "plugstack";
  } else if (out.devices > 0 && found.devices > 0 && found.cores > 0) {
    out.physical_cores = found.cores;
    out.cores_source = "sysfs";
  } else if (out.devices > 0) {
    out.physical_cores = out.devices * catalog_cores_per_device(out.family);
    out.cores_source = "catalog";
  }
  *inv = out;
}

}  // namespace neuron
