// A fake node made by tests/fixtures/neuron_device_tree.sh (the same writer as
// localslurm's nodes), for unit tests of discovery, plan and preflight. Tests run from
// the repository root (tests/run does).
#pragma once

#include <stdlib.h>

#include <cstdlib>
#include <map>
#include <string>

namespace test_tree {

// A fresh folder holding a TYPE node whose DMI / device instance_type says `name`
// (default TYPE); "" when the script failed.
inline std::string make(const std::string& type, const std::string& name = "") {
  char tmpl[] = "/tmp/trn-tree-XXXXXX";
  const char* dir = mkdtemp(tmpl);
  if (!dir) return "";
  const std::string root = dir;
  const std::string cmd = "tests/fixtures/neuron_device_tree.sh '" + root + "' '" + type + "'" +
                          (name.empty() ? "" : " '" + name + "'");
  return std::system(cmd.c_str()) == 0 ? root : "";
}

inline void remove(const std::string& root) {
  if (root.rfind("/tmp/trn-tree-", 0) == 0) std::system(("rm -rf '" + root + "'").c_str());
}

inline std::map<std::string, std::string>& shared_trees() {
  static std::map<std::string, std::string> trees;
  return trees;
}

// make(type, name) once per test binary, removed when it exits: writing a tree takes a
// fraction of a second, and the tests only read it.
inline const std::string& shared(const std::string& type, const std::string& name = "") {
  auto& all = shared_trees();
  if (all.empty()) std::atexit([] { for (const auto& kv : shared_trees()) remove(kv.second); });
  const std::string key = type + "/" + name;
  if (!all.count(key)) all[key] = make(type, name);
  return all[key];
}

}  // namespace test_tree
