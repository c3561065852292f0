#include "launcher/plan/instance_catalog.h"

#include "common/config/document.h"
#include "launcher/errors.h"

namespace trn {

const InstanceType* InstanceCatalog::find(const std::string& name) const {
  auto it = types.find(name);
  return it == types.end() ? nullptr : &it->second;
}

std::string InstanceCatalog::names() const {
  std::string s;
  for (const auto& kv : types)
    if (kv.second.alias_of.empty()) s += (s.empty() ? "" : ", ") + kv.first;
  return s;
}

std::vector<std::string> InstanceCatalog::with_shape(int devices, int cores_per_device, int neuroncore_version) const {
  std::vector<std::string> out;
  for (const auto& [name, t] : types) {
    if (!t.alias_of.empty() || t.devices != devices || t.neuroncore_version != neuroncore_version) continue;
    if (cores_per_device > 0 && t.cores_per_device != cores_per_device) continue;  // 0: core_count unread
    out.push_back(name);
  }
  return out;
}

namespace {

// {1: 32, 2: 64} -> map; {1: [16], 2: [8]} -> map of lists. Keys are LNC values.
template <typename V, typename Read>
std::map<int, V> lnc_map(const config::Document& e, const std::string& key, Problems* problems, Read read) {
  std::map<int, V> out;
  for (const auto& [lnc, entry] : e.entries(key)) {
    const int l = std::atoi(lnc.c_str());
    if (l < 1 || l > 8) problems->push_back({key + "." + lnc, lnc, "LNC keys must be 1 to 8"});
    if (auto v = read(entry)) out[l] = *v;
  }
  return out;
}

int read_int(const config::Document& e, const std::string& key, long long hi, Problems* found) {
  return static_cast<int>(e.get_int(key, 0, hi, found).value_or(0));
}

InstanceType read_type(const std::string& name, const config::Document& e, Problems* found) {
  InstanceType t;
  t.name = name;
  e.check_keys("", {"platform", "devices", "cores_per_device", "neuroncore", "efa", "vcpus", "lnc", "procs_per_node",
                    "unsupported_tp", "ultraserver_nodes"},
               found);
  t.platform = parse_platform(e.get_string("platform", found).value_or(""));
  if (t.platform == Platform::kUnknown)
    found->push_back({"platform", e.text("platform"), "must be trn1, trn2, trn3 or cpu"});
  t.devices = read_int(e, "devices", 256, found);
  t.cores_per_device = read_int(e, "cores_per_device", 64, found);
  t.neuroncore_version = read_int(e, "neuroncore", 16, found);
  t.neuron_cores = t.devices * t.cores_per_device;
  // The plugin cannot read this file: its chip table (common/platform.h) must agree.
  const ChipFacts& chip = chip_facts(t.platform);
  if (chip.platform != Platform::kUnknown && t.devices > 0) {
    if (t.cores_per_device != chip.cores_per_device)
      found->push_back({"cores_per_device", e.text("cores_per_device"),
                        std::string("must be ") + std::to_string(chip.cores_per_device) + " on " + to_string(t.platform) +
                            " (" + chip.device_name + ")"});
    if (t.neuroncore_version != chip.neuroncore_version)
      found->push_back({"neuroncore", e.text("neuroncore"),
                        std::string("must be ") + std::to_string(chip.neuroncore_version) + " on " + to_string(t.platform) +
                            " (" + chip.device_name + ")"});
  }
  t.efa = read_int(e, "efa", 64, found);
  t.vcpus = read_int(e, "vcpus", 4096, found);
  t.ultraserver_nodes = read_int(e, "ultraserver_nodes", 1024, found);
  if (e.has("lnc")) {
    for (double v : e.get_number_list("lnc.allowed", found).value_or(std::vector<double>{}))
      t.lnc_allowed.push_back(static_cast<int>(v));
    t.lnc_default = static_cast<int>(e.get_int("lnc.default", 1, 8, found).value_or(1));
  }
  t.procs_per_lnc = lnc_map<int>(e, "procs_per_node", found, [&](const config::Document& v) {
    auto n = v.get_int("", 1, 4096, found);
    return n ? std::optional<int>(static_cast<int>(*n)) : std::nullopt;
  });
  t.unsupported_tp = lnc_map<std::vector<int>>(e, "unsupported_tp", found, [&](const config::Document& v) {
    std::optional<std::vector<int>> out;
    if (auto list = v.get_number_list("", found)) out = std::vector<int>(list->begin(), list->end());
    return out;
  });
  return t;
}

}  // namespace

InstanceCatalog load_instance_catalog(const std::string& path) {
  InstanceCatalog cat;
  cat.path = path;
  Problems problems;
  config::Document doc;
  if (!config::Document::load(path, &doc, &problems)) throw InputError(problems);
  if (doc.keys("instances").empty()) {
    throw InputError({{path + ": instances", doc.text("instances"), "must map instance names to entries"}});
  }
  doc.check_keys("", {"instances", "aliases"}, &problems);
  for (auto& p : problems) p.key = path + ": " + p.key;
  for (const auto& [name, e] : doc.entries("instances")) {
    Problems found;
    InstanceType t = read_type(name, e, &found);
    for (auto& p : found) p.key = path + ": instances." + name + (p.key.empty() ? "" : "." + p.key);
    problems.insert(problems.end(), found.begin(), found.end());
    cat.types[t.name] = t;
  }
  // aliases: EC2-NAME: CATALOG-NAME (a real name for a provisional entry, one line).
  for (const auto& [alias, e] : doc.entries("aliases")) {
    Problems found;
    const std::string target = e.get_string("", &found).value_or("");
    for (auto& p : found) p.key = path + ": aliases." + alias;
    problems.insert(problems.end(), found.begin(), found.end());
    const auto it = cat.types.find(target);
    if (!found.empty()) {
      continue;
    } else if (it == cat.types.end() || !it->second.alias_of.empty()) {
      problems.push_back({path + ": aliases." + alias, target, "must name an entry of instances: (" + cat.names() + ")"});
    } else if (cat.types.count(alias)) {
      problems.push_back({path + ": aliases." + alias, target, "is already an entry of instances:; remove the alias"});
    } else {
      InstanceType t = it->second;
      t.name = alias;
      t.alias_of = target;
      cat.types[alias] = t;
    }
  }
  throw_if_any(problems);
  return cat;
}

}  // namespace trn
