#include "spank/device_discovery.h"

#include "common/node_instance.h"

namespace neuron {

void discover_neuron(const std::string& root, const PluginConfig& config, NodeInventory* inv) {
  NodeInventory out;
  const trn::NeuronDevices found = trn::read_neuron_devices(root);
  // The driver's list, else the device nodes a process would open.
  out.devices = found.devices > 0 ? found.devices : found.dev_nodes;

  // Instance type / platform: the plugstack's override, else what the node says.
  if (!config.instance.empty()) {
    out.instance_type = config.instance.find('.') != std::string::npos ? config.instance : "";
    out.platform = trn::platform_of_name(config.instance);
  } else {
    const trn::NodeInstanceFacts node = trn::read_node_instance(root, found);
    out.instance_type = node.instance_type;
    out.platform = node.platform;
  }

  // Cores: plugstack override, sum of core_count, else the chip's cores per device
  // (common/platform.h's table: the driver >= 2.31 layout may not show core_count).
  if (config.cores_per_node > 0) {
    out.physical_cores = config.cores_per_node;
    out.cores_source = "plugstack";
  } else if (out.devices > 0 && found.devices > 0 && found.cores > 0) {
    out.physical_cores = found.cores;
    out.cores_source = "sysfs";
  } else if (out.devices > 0) {
    out.physical_cores = out.devices * trn::chip_facts(out.platform).cores_per_device;
    out.cores_source = "catalog";
  }
  *inv = out;
}

}  // namespace neuron
