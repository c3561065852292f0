// The one config library: every YAML (and JSON: an HF config.json is YAML too) that
// trn-train, trn-train-native and `trn-train cache` read goes through Document.
//
//   Problems problems;
//   Document doc;
//   if (!Document::load(path, &doc, &problems)) return report_problems("tool", problems);
//   doc.apply_overrides({"trainer.max_steps=10"}, &problems);        // Hydra-style
//   auto steps = doc.get_int("trainer.max_steps", 1, 1'000'000'000, &problems);
//   doc.check_keys("launch", {"backend", "instance"}, &problems);    // strict blocks
//
// Exception-free: yaml-cpp's exceptions are caught here and become Problems naming
// the key (or file and line), the value and the fix, so no caller ever sees one.
// Absent and null values read as "not set" (std::nullopt); a value of the wrong type
// or out of range is a Problem and also reads as not set.
#pragma once

#include <yaml-cpp/yaml.h>

#include <optional>
#include <string>
#include <vector>

#include "common/config/override.h"
#include "common/problem.h"

namespace trn::config {

class Document {
 public:
  Document();
  // Reads and parses `path`; the top level must be a mapping (an empty file is an empty one).
  static bool load(const std::string& path, Document* out, Problems* problems);
  // Parses YAML text (tests, generated configs); `origin` names it in problems.
  static bool parse(const std::string& text, const std::string& origin, Document* out, Problems* problems);

  // Command-line overrides in Hydra's grammar (common/config/override.h): `a.b=v` sets
  // a key that exists, `+a.b=v` adds a new one, `++a.b=v` adds or sets, `~a.b` deletes.
  // A refused one is a Problem naming the key and the nearest existing keys; keys under
  // `launch.` (trn-train's own block, checked by name where it is read) need no `+`.
  // All arguments are checked; false if any was refused.
  bool apply_overrides(const std::vector<std::string>& args, Problems* problems);

  // Sets `key` to the string `value` as is (no YAML parsing), creating maps.
  void set_string(const std::string& key, const std::string& value);
  // Sets `key` to `value` (a scalar, list or mapping), creating maps.
  void set(const std::string& key, const YAML::Node& value);
  // A copy of the node at `key` (undefined when absent).
  YAML::Node value(const std::string& key) const { return YAML::Clone(node(key)); }
  // A deep copy (Document itself is a handle: copies share the tree).
  Document clone() const;

  bool has(const std::string& key) const;  // present and not null
  // Typed getters at a dotted key. Integers are whole numbers in [lo, hi].
  std::optional<long long> get_int(const std::string& key, long long lo, long long hi, Problems* problems) const;
  std::optional<double> get_number(const std::string& key, Problems* problems) const;  // finite
  std::optional<bool> get_bool(const std::string& key, Problems* problems) const;
  std::optional<std::string> get_string(const std::string& key, Problems* problems) const;
  std::optional<std::vector<std::string>> get_string_list(const std::string& key, Problems* problems) const;
  std::optional<std::vector<double>> get_number_list(const std::string& key, Problems* problems) const;

  // Every key of the mapping at `block` ("" = top level) must be in `known`;
  // a present block that is not a mapping is a Problem too.
  void check_keys(const std::string& block, const std::vector<std::string>& known, Problems* problems) const;
  // Keys of the mapping at `block` (empty when absent or not a mapping).
  std::vector<std::string> keys(const std::string& block) const;
  // The entries of the mapping at `block` as sub-documents, for maps whose keys
  // contain dots (instance types "trn1.32xlarge", host names): read each entry
  // with keys relative to it ("" is the entry itself).
  std::vector<std::pair<std::string, Document>> entries(const std::string& block) const;

  // The value at `key` as written, for messages: "(absent)" when there is none.
  std::string text(const std::string& key) const;
  // The whole document as YAML (the effective config a run writes to disk).
  std::string dump() const;

  const YAML::Node& root() const { return root_; }
  const std::string& origin() const { return origin_; }  // file path or origin given to parse()

 private:
  YAML::Node node(const std::string& key) const;  // never inserts; undefined when absent
  void apply_override(const Override& o, Problems* problems);
  std::string origin_;
  YAML::Node root_;
};

}  // namespace trn::config
