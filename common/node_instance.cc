#include "common/node_instance.h"

#include <cstdlib>

namespace trn {
namespace {

// What the DMI product name says (tried first: it needs no device folder); empty facts
// when it names no Trainium type.
NodeInstanceFacts from_dmi(const std::string& root) {
  NodeInstanceFacts out;
  const std::string dmi = under_root(root, "/sys/class/dmi/id/product_name");
  const std::string name = sysfs_line(dmi);
  if (platform_of_name(name) == Platform::kUnknown) return out;
  out.instance_type = name, out.platform = platform_of_name(name), out.source = dmi;
  return out;
}

// The first device's info: its instance_type, else its chip (device_name), else its
// NeuronCore version (arch_type) when the driver names no chip. A device_name that is
// not a Trainium (Inferentia2 shares NeuronCore-v2) ends the search.
void from_devices(const NeuronDevices& devices, NodeInstanceFacts* out) {
  if (devices.first.empty()) return;
  const std::string dev = devices.dir + "/" + devices.first;
  const std::string arch = dev + "/info/architecture/";
  const std::string chip = sysfs_line(arch + "device_name");
  const std::string arch_type = sysfs_line(arch + "arch_type");
  const Platform by_chip = !chip.empty() ? platform_of_name(chip) : platform_of_name(arch_type);
  if (by_chip != Platform::kUnknown) {
    out->devices = devices.devices;
    out->neuroncore_version = chip_facts(by_chip).neuroncore_version;
    const long cores = std::strtol(sysfs_line(dev + "/core_count").c_str(), nullptr, 10);
    out->cores_per_device = cores > 0 && cores <= 64 ? static_cast<int>(cores) : 0;
    out->shape_source = devices.dir;
  }
  if (out->platform != Platform::kUnknown) return;  // the DMI name said it already
  if (std::string name = sysfs_line(arch + "instance_type"); platform_of_name(name) != Platform::kUnknown) {
    out->instance_type = name, out->platform = platform_of_name(name), out->source = arch + "instance_type";
  } else if (by_chip != Platform::kUnknown) {
    out->platform = by_chip, out->source = arch + (chip.empty() ? "arch_type" : "device_name");
  }
}

}  // namespace

NodeInstanceFacts read_node_instance(const std::string& root) { return read_node_instance(root, read_neuron_devices(root)); }

NodeInstanceFacts read_node_instance(const std::string& root, const NeuronDevices& devices) {
  NodeInstanceFacts out = from_dmi(root);
  from_devices(devices, &out);
  return out;
}

std::string shape_text(const NodeInstanceFacts& f) {
  if (f.devices <= 0) return "";
  const Platform p = platform_of_neuroncore(f.neuroncore_version);
  return std::to_string(f.devices) + " x " + chip_facts(p).device_name + " (" +
         (f.cores_per_device > 0 ? std::to_string(f.cores_per_device) : std::string("?")) + " NeuronCore-v" +
         std::to_string(f.neuroncore_version) + " each)";
}

}  // namespace trn
