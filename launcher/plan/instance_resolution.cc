#include "launcher/plan/instance_resolution.h"

#include <algorithm>

namespace trn {
namespace {

std::string joined(const std::vector<std::string>& names) {
  std::string s;
  for (const auto& n : names) s += (s.empty() ? "" : " and ") + n;
  return s;
}

// What the node says, matched against the catalog: its EC2 name when the catalog knows
// it; else its shape (devices x cores x NeuronCore version, or only the chip's platform
// when the driver's layout hides the shape) when exactly one type has it. *ambiguous
// names the candidates when several do (trn2 and trn2u share a shape).
std::string from_node(const NodeInstanceFacts& n, const InstanceCatalog& catalog, std::string* rule,
                      std::vector<std::string>* candidates, std::string* ambiguous) {
  const std::string by = "node (" + n.source + ")";
  if (!n.instance_type.empty() && catalog.find(n.instance_type)) {
    *rule = by;
    return n.instance_type;
  }
  std::vector<std::string> fits;
  if (n.devices > 0) {
    fits = catalog.with_shape(n.devices, n.cores_per_device, n.neuroncore_version);
    *rule = "node (Neuron sysfs " + n.shape_source + ": " + shape_text(n) + ")";
  } else if (n.platform != Platform::kUnknown) {
    for (const auto& [name, t] : catalog.types)
      if (t.alias_of.empty() && t.platform == n.platform) fits.push_back(name);
    *rule = by;
  }
  if (fits.size() == 1) return fits.front();
  if (fits.size() > 1) {
    *candidates = fits;
    *ambiguous = "the node (" + (n.devices > 0 ? shape_text(n) : std::string(to_string(n.platform))) +
                 (n.instance_type.empty() ? "" : ", named " + n.instance_type) + ") fits " + joined(fits);
  }
  return "";
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

  std::string rule, ambiguous;
  std::vector<std::string> candidates;
  if (auto name = from_node(f.node, catalog, &rule, &candidates, &ambiguous); !name.empty()) return {name, rule};
  // A Trainium name the catalog lacks and no shape to match: the name is the answer
  // we cannot use, said as before.
  if (!f.node.instance_type.empty() && f.node.devices == 0 && ambiguous.empty())
    return known(f.node.instance_type, f.node.source, "node (" + f.node.source + ")");

  if (f.site) {
    const std::string& part = f.partition;
    if (auto it = f.site->partitions.find(part); !part.empty() && it != f.site->partitions.end())
      return known(it->second, f.site->path + ": partitions." + part, "site file (partitions." + part + ")");
    if (!f.site->instance.empty()) return known(f.site->instance, f.site->path + ": instance", "site file (instance)");
  }

  if (f.training) {
    // Only an answer the node allows: among several candidates, the config's guess
    // must be one of them (trn1 vs trn1n: trainer.devices 32 picks trn1.32xlarge).
    auto allowed = [&](const char* name) {
      return candidates.empty() || std::find(candidates.begin(), candidates.end(), name) != candidates.end();
    };
    const auto devices = f.training->devices;
    if (f.training->lnc && allowed("trn2.48xlarge"))
      return known("trn2.48xlarge", "trainer.lnc", "config (trainer.lnc is set: trn2)");
    if ((devices == 64 || devices == 128) && allowed("trn2.48xlarge"))
      return known("trn2.48xlarge", "trainer.devices", "config (trainer.devices " + std::to_string(*devices) + ")");
    if (devices == 32 && allowed("trn1.32xlarge"))
      return known("trn1.32xlarge", "trainer.devices", "config (trainer.devices 32)");
  }

  if (!ambiguous.empty()) {
    problems->push_back({"launch.instance", "(unresolved)",
                         ambiguous + ", which its devices cannot tell apart; name it: --instance TYPE, "
                                     "launch.instance: TYPE, or the site file's partitions: {PARTITION: TYPE}"});
    return {};
  }
  problems->push_back({"launch.instance", "(unresolved)",
                       "cannot tell the instance type; name it in one of four ways: --instance TYPE or "
                       "launch.instance: TYPE; run on the node itself (DMI product name or Neuron sysfs); the site "
                       "file's partitions: {PARTITION: TYPE} (or instance: TYPE); or trainer.lnc / trainer.devices "
                       "(64 or 128: trn2.48xlarge, 32: trn1.32xlarge). Known types: " + catalog.names()});
  return {};
}

}  // namespace trn
