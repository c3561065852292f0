#include "common/node_instance.h"

#include "common/node_sysfs.h"

namespace trn {

std::string trainium_family(const std::string& name) {
  if (name.rfind("trn2", 0) == 0 || name == "Trainium2") return "trn2";
  if (name.rfind("trn1", 0) == 0 || name == "Trainium1" || name == "Trainium") return "trn1";
  return "";
}

// What the DMI product name says (tried first: it needs no device folder); empty facts when it names no Trainium type.
static NodeInstanceFacts from_dmi(const std::string& root) {
  const std::string dmi = under_root(root, "/sys/class/dmi/id/product_name");
  if (std::string name = sysfs_line(dmi); !trainium_family(name).empty()) return {name, trainium_family(name), dmi};
  return {};
}

static NodeInstanceFacts from_devices(const NeuronDevices& devices) {
  if (devices.first.empty()) return {};
  const std::string arch = devices.dir + "/" + devices.first + "/info/architecture/";
  if (std::string name = sysfs_line(arch + "instance_type"); !trainium_family(name).empty()) {
    return {name, trainium_family(name), arch + "instance_type"};
  }
  if (std::string chip = sysfs_line(arch + "device_name"); !trainium_family(chip).empty()) {
    return {"", trainium_family(chip), arch + "device_name"};
  }
  return {};
}

NodeInstanceFacts read_node_instance(const std::string& root) {
  NodeInstanceFacts out = from_dmi(root);
  return out.family.empty() ? from_devices(read_neuron_devices(root)) : out;
}

NodeInstanceFacts read_node_instance(const std::string& root, const NeuronDevices& devices) {
  NodeInstanceFacts out = from_dmi(root);
  return out.family.empty() ? from_devices(devices) : out;
}

}  // namespace trn
