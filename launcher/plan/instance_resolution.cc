#include "launcher/plan/instance_resolution.h"

namespace trn {
namespace {

// A node that names only its chip family (device_name "Trainium2"): the catalog type
// of that platform when there is exactly one (trn1 has two: trn1 and trn1n).
std::string only_type_of_platform(const InstanceCatalog& catalog, const std::string& platform) {
  std::string found;
  for (const auto& [name, t] : catalog.types) {
    if (t.platform != platform) continue;
    if (!found.empty()) return "";
    found = name;
  }
  return found;
}

}  // namespace

InstanceChoice resolve_instance(const InstanceFacts& f, const InstanceCatalog& catalog, Problems* problems) {
  auto known = [&](const std::string& name, const std::string& key, const std::string& rule) -> InstanceChoice {
    if (catalog.find(name)) return {name, rule};
    problems->push_back({key, name,
                         "unknown instance type; known: " + catalog.names() + " (catalog " + catalog.path +
                             "); add it there or name one with --instance"});
    return {};
  };
  if (!f.configured.empty()) return known(f.configured, "launch.instance", "--instance / launch.instance");

  if (!f.node.instance_type.empty()) return known(f.node.instance_type, f.node.source, "node (" + f.node.source + ")");
  if (!f.node.family.empty()) {
    if (auto name = only_type_of_platform(catalog, f.node.family); !name.empty())
      return {name, "node (" + f.node.source + ")"};
  }

  if (f.site) {
    const std::string& part = f.partition;
    if (auto it = f.site->partitions.find(part); !part.empty() && it != f.site->partitions.end())
      return known(it->second, f.site->path + ": partitions." + part, "site file (partitions." + part + ")");
    if (!f.site->instance.empty()) return known(f.site->instance, f.site->path + ": instance", "site file (instance)");
  }

  if (f.training) {
    if (f.training->lnc) return known("trn2.48xlarge", "trainer.lnc", "config (trainer.lnc is set: trn2)");
    const auto devices = f.training->devices;
    if (devices == 64 || devices == 128)
      return known("trn2.48xlarge", "trainer.devices", "config (trainer.devices " + std::to_string(*devices) + ")");
    if (devices == 32) return known("trn1.32xlarge", "trainer.devices", "config (trainer.devices 32)");
  }

  problems->push_back({"launch.instance", "(unresolved)",
                       "cannot tell the instance type; name it in one of four ways: --instance TYPE or "
                       "launch.instance: TYPE; run on the node itself (DMI product name or Neuron sysfs); the site "
                       "file's partitions: {PARTITION: TYPE} (or instance: TYPE); or trainer.lnc / trainer.devices "
                       "(64 or 128: trn2.48xlarge, 32: trn1.32xlarge). Known types: " + catalog.names()});
  return {};
}

}  // namespace trn
