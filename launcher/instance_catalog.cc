#include "launcher/instance_catalog.h"

#include "launcher/yaml_util.h"

namespace trn {

const InstanceType* InstanceCatalog::find(const std::string& name) const {
  auto it = types.find(name);
  return it == types.end() ? nullptr : &it->second;
}

std::string InstanceCatalog::names() const {
  std::string s;
  for (const auto& kv : types) s += (s.empty() ? "" : ", ") + kv.first;
  return s;
}

InstanceCatalog load_instance_catalog(const std::string& path) {
  InstanceCatalog cat;
  cat.path = path;
  const YAML::Node root = load_yaml_file(path);
  const YAML::Node list = root["instances"];
  std::vector<Problem> problems;
  if (!list.IsMap()) throw InputError({{path + ": instances", scalar_text(list), "must map instance names to entries"}});
  for (const auto& kv : list) {
    InstanceType t;
    t.name = kv.first.as<std::string>();
    const YAML::Node e = kv.second;
    const std::string where = path + ": instances." + t.name;
    check_keys(e, where, {"platform", "neuron_cores", "efa", "vcpus", "lnc", "procs_per_node", "unsupported_tp"},
               &problems);
    try {
      t.platform = e["platform"].as<std::string>();
      t.neuron_cores = e["neuron_cores"].as<int>(0);
      t.efa = e["efa"].as<int>(0);
      t.vcpus = e["vcpus"].as<int>(0);
      if (const YAML::Node l = e["lnc"]; l.IsDefined()) {
        t.lnc_allowed = l["allowed"].as<std::vector<int>>();
        t.lnc_default = l["default"].as<int>();
      }
      if (const YAML::Node p = e["procs_per_node"]; p.IsDefined()) t.procs_per_lnc = p.as<std::map<int, int>>();
      if (const YAML::Node u = e["unsupported_tp"]; u.IsDefined()) {
        t.unsupported_tp = u.as<std::map<int, std::vector<int>>>();
      }
    } catch (const YAML::Exception& ex) {
      problems.push_back({where, scalar_text(e), std::string("malformed instance entry: ") + ex.what()});
    }
    cat.types[t.name] = t;
  }
  if (!problems.empty()) throw InputError(problems);
  return cat;
}

}  // namespace trn
