#include "launcher/yaml_util.h"

#include <algorithm>
#include <fstream>
#include <sstream>

namespace trn {

YAML::Node at_path(const YAML::Node& root, const std::string& dotted) {
  const YAML::Node cur_root = root;
  YAML::Node cur;
  cur.reset(cur_root);
  size_t start = 0;
  while (true) {
    const auto dot = dotted.find('.', start);
    const std::string part = dotted.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (!cur.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
    const YAML::Node& ccur = cur;  // const operator[] never inserts
    const YAML::Node next = ccur[part];
    if (!next.IsDefined()) return YAML::Node(YAML::NodeType::Undefined);
    cur.reset(next);
    if (dot == std::string::npos) return cur;
    start = dot + 1;
  }
}

std::string scalar_text(const YAML::Node& n) {
  if (!n.IsDefined()) return "(absent)";
  if (n.IsScalar()) return n.Scalar();
  YAML::Emitter e;
  e << YAML::Flow << n;
  return e.c_str();
}

namespace {
template <typename T>
std::optional<T> get_as(const YAML::Node& root, const std::string& key, const char* want,
                        std::vector<Problem>* problems) {
  const YAML::Node n = at_path(root, key);
  if (!n.IsDefined() || n.IsNull()) return std::nullopt;
  try {
    if (!n.IsScalar()) throw YAML::Exception(YAML::Mark::null_mark(), "not scalar");
    return n.as<T>();
  } catch (const YAML::Exception&) {
    problems->push_back({key, scalar_text(n), std::string("must be ") + want});
    return std::nullopt;
  }
}
}  // namespace

std::optional<long long> get_int(const YAML::Node& root, const std::string& key, std::vector<Problem>* problems) {
  return get_as<long long>(root, key, "an integer", problems);
}
std::optional<bool> get_bool(const YAML::Node& root, const std::string& key, std::vector<Problem>* problems) {
  return get_as<bool>(root, key, "true or false", problems);
}
std::optional<std::string> get_string(const YAML::Node& root, const std::string& key,
                                      std::vector<Problem>* problems) {
  return get_as<std::string>(root, key, "a string", problems);
}

void check_keys(const YAML::Node& block, const std::string& where, const std::vector<std::string>& known,
                std::vector<Problem>* problems) {
  if (!block.IsDefined() || block.IsNull()) return;
  if (!block.IsMap()) {
    problems->push_back({where, scalar_text(block), "must be a mapping of keys"});
    return;
  }
  std::string list;
  for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
  for (const auto& kv : block) {
    const std::string k = kv.first.as<std::string>();
    if (std::find(known.begin(), known.end(), k) == known.end()) {
      problems->push_back({where + "." + k, scalar_text(kv.second), "unknown key; known keys are: " + list});
    }
  }
}

YAML::Node load_yaml_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw InputError({{"config", path, "cannot be read; check the path and permissions"}});
  std::stringstream ss;
  ss << in.rdbuf();
  try {
    YAML::Node n = YAML::Load(ss.str());
    if (n.IsNull()) n = YAML::Node(YAML::NodeType::Map);
    if (!n.IsMap()) throw InputError({{"config", path, "top level must be a mapping of keys"}});
    return n;
  } catch (const YAML::ParserException& e) {
    throw InputError({{"config", path,
                       "malformed YAML at line " + std::to_string(e.mark.line + 1) + ", column " +
                           std::to_string(e.mark.column + 1) + ": " + e.msg}});
  }
}

}  // namespace trn
