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
  for (const auto& kv : types) s += (s.empty() ? "" : ", ") + kv.first;
  return s;
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
  for (const auto& [name, e] : doc.entries("instances")) {
    Problems found;
    InstanceType t;
    t.name = name;
    e.check_keys("", {"platform", "neuron_cores", "efa", "vcpus", "lnc", "procs_per_node", "unsupported_tp"}, &found);
    t.platform = e.get_string("platform", &found).value_or("");
    if (t.platform != "trn1" && t.platform != "trn2" && t.platform != "cpu")
      found.push_back({"platform", e.text("platform"), "must be trn1, trn2 or cpu"});
    t.neuron_cores = static_cast<int>(e.get_int("neuron_cores", 0, 4096, &found).value_or(0));
    t.efa = static_cast<int>(e.get_int("efa", 0, 64, &found).value_or(0));
    t.vcpus = static_cast<int>(e.get_int("vcpus", 0, 4096, &found).value_or(0));
    if (e.has("lnc")) {
      for (double v : e.get_number_list("lnc.allowed", &found).value_or(std::vector<double>{}))
        t.lnc_allowed.push_back(static_cast<int>(v));
      t.lnc_default = static_cast<int>(e.get_int("lnc.default", 1, 8, &found).value_or(1));
    }
    t.procs_per_lnc = lnc_map<int>(e, "procs_per_node", &found, [&](const config::Document& v) {
      auto n = v.get_int("", 1, 4096, &found);
      return n ? std::optional<int>(static_cast<int>(*n)) : std::nullopt;
    });
    t.unsupported_tp = lnc_map<std::vector<int>>(e, "unsupported_tp", &found, [&](const config::Document& v) {
      std::optional<std::vector<int>> out;
      if (auto list = v.get_number_list("", &found)) out = std::vector<int>(list->begin(), list->end());
      return out;
    });
    for (auto& p : found) p.key = path + ": instances." + name + (p.key.empty() ? "" : "." + p.key);
    problems.insert(problems.end(), found.begin(), found.end());
    cat.types[t.name] = t;
  }
  throw_if_any(problems);
  return cat;
}

}  // namespace trn
