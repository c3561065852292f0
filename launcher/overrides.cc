#include "launcher/overrides.h"

#include "launcher/errors.h"

namespace trn {

Override parse_override(const std::string& arg) {
  const auto eq = arg.find('=');
  std::string key = eq == std::string::npos ? std::string() : arg.substr(0, eq);
  if (!key.empty() && (key[0] == '+' || key[0] == '~')) key.erase(0, 1);
  Override o;
  size_t start = 0;
  while (!key.empty()) {
    const auto dot = key.find('.', start);
    const std::string part = key.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (part.empty()) break;
    o.path.push_back(part);
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  if (eq == std::string::npos || o.path.empty() || key.back() == '.' || key.find("..") != std::string::npos) {
    throw InputError({{"override", arg, "write KEY.SUB=VALUE, e.g. trainer.max_steps=10"}});
  }
  o.text = arg.substr(eq + 1);
  return o;
}

void apply_override(YAML::Node& root, const Override& o) {
  YAML::Node value;
  try {
    value = YAML::Load(o.text.empty() ? "''" : o.text);
  } catch (const YAML::Exception&) {
    value = YAML::Node(o.text);  // not valid YAML on its own: keep it as a string
  }
  // yaml-cpp nodes are handles: walk with fresh handles, never re-assign one.
  std::vector<YAML::Node> chain{root};
  for (size_t i = 0; i + 1 < o.path.size(); ++i) {
    YAML::Node next = chain.back()[o.path[i]];
    if (next.IsDefined() && !next.IsNull() && !next.IsMap()) {
      throw InputError({{o.path[i], YAML::Dump(next), "is not a mapping, so '" + o.text + "' cannot be set below it"}});
    }
    chain.push_back(next);
  }
  chain.back()[o.path.back()] = value;
}

}  // namespace trn
