#include "common/config/document.h"

#include <algorithm>
#include <cerrno>
#include <cmath>

#include "common/config/duplicate_keys.h"
#include "common/fs.h"
#include "common/nearest.h"

namespace trn::config {
namespace {

std::vector<std::string> split_key(const std::string& dotted) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    const size_t dot = dotted.find('.', start);
    parts.push_back(dotted.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
    if (dot == std::string::npos) return parts;
    start = dot + 1;
  }
}

std::string show(const YAML::Node& n) {
  if (!n.IsDefined()) return "(absent)";
  if (n.IsNull()) return "null";
  if (n.IsScalar()) return n.Scalar();
  YAML::Emitter e;
  e << YAML::Flow << n;
  return e.c_str();
}

std::string where_in(const std::string& origin, const YAML::Mark& mark) {
  return origin + ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
}

// A scalar converted with yaml-cpp's rules, without letting its exception out.
template <typename T>
bool convert(const YAML::Node& n, T* out) {
  if (!n.IsScalar()) return false;
  try {
    *out = n.as<T>();
    return true;
  } catch (const YAML::Exception&) {
    return false;
  }
}

}  // namespace

Document::Document() : root_(YAML::NodeType::Map) {}

bool Document::parse(const std::string& text, const std::string& origin, Document* out, Problems* problems) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    problems->push_back({where_in(origin, e.mark), "(malformed YAML)", e.msg + "; fix the file's syntax"});
    return false;
  } catch (const YAML::Exception& e) {
    problems->push_back({origin, "(unreadable YAML)", std::string(e.what()) + "; fix the file's syntax"});
    return false;
  }
  const size_t before = problems->size();
  find_duplicate_keys(text, origin, problems);
  if (problems->size() != before) return false;
  if (root.IsNull() || !root.IsDefined()) root = YAML::Node(YAML::NodeType::Map);
  if (!root.IsMap()) {
    problems->push_back({origin, show(root), "the top level must be a mapping of keys"});
    return false;
  }
  out->origin_ = origin;
  out->root_ = root;
  return true;
}

bool Document::load(const std::string& path, Document* out, Problems* problems) {
  // Regular files only (a FIFO or device named as a config must not hang or flood the
  // reader), links followed (configs and site files are often symlinked), 16 MiB at most.
  constexpr size_t kMaxBytes = 16 << 20;
  std::string text, why;
  if (!read_regular_file(path, kMaxBytes, &text, &why, nullptr, Links::kFollow)) {
    const bool shape = errno == EINVAL || errno == EFBIG;
    problems->push_back({path, shape ? why : "(unreadable)",
                         shape ? "a config must be a regular YAML file of at most 16 MiB"
                               : why + "; check the path and permissions"});
    return false;
  }
  return parse(text, path, out, problems);
}

YAML::Node Document::node(const std::string& key) const {
  if (key.empty()) return root_;
  // Walk with const handles: operator[] on a const node never inserts. Each step
  // makes a fresh handle (recursion), since re-assigning a yaml-cpp handle would
  // overwrite the node it refers to.
  struct Walk {
    static YAML::Node at(const YAML::Node& cur, const std::vector<std::string>& parts, size_t i) {
      if (!cur.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
      const YAML::Node next = cur[parts[i]];
      if (!next.IsDefined()) return YAML::Node(YAML::NodeType::Undefined);
      return i + 1 == parts.size() ? next : at(next, parts, i + 1);
    }
  };
  return Walk::at(root_, split_key(key), 0);
}

bool Document::has(const std::string& key) const {
  const YAML::Node n = node(key);
  return n.IsDefined() && !n.IsNull();
}

std::string Document::text(const std::string& key) const { return show(node(key)); }

std::optional<long long> Document::get_int(const std::string& key, long long lo, long long hi,
                                           Problems* problems) const {
  const YAML::Node n = node(key);
  if (!n.IsDefined() || n.IsNull()) return std::nullopt;
  long long v = 0;
  // yaml-cpp accepts "1.0" as no integer and wraps nothing: out-of-range text fails to convert.
  if (!convert(n, &v)) {
    problems->push_back({key, show(n), "must be a whole number from " + std::to_string(lo) + " to " + std::to_string(hi)});
    return std::nullopt;
  }
  if (v < lo || v > hi) {
    problems->push_back({key, show(n), "must be from " + std::to_string(lo) + " to " + std::to_string(hi)});
    return std::nullopt;
  }
  return v;
}

std::optional<double> Document::get_number(const std::string& key, Problems* problems) const {
  const YAML::Node n = node(key);
  if (!n.IsDefined() || n.IsNull()) return std::nullopt;
  double v = 0;
  if (!convert(n, &v) || !std::isfinite(v)) {
    problems->push_back({key, show(n), "must be a finite number, e.g. 3.0e-4"});
    return std::nullopt;
  }
  return v;
}

std::optional<bool> Document::get_bool(const std::string& key, Problems* problems) const {
  const YAML::Node n = node(key);
  if (!n.IsDefined() || n.IsNull()) return std::nullopt;
  bool v = false;
  if (!convert(n, &v)) {
    problems->push_back({key, show(n), "must be true or false"});
    return std::nullopt;
  }
  return v;
}

std::optional<std::string> Document::get_string(const std::string& key, Problems* problems) const {
  const YAML::Node n = node(key);
  if (!n.IsDefined() || n.IsNull()) return std::nullopt;
  if (!n.IsScalar()) {
    problems->push_back({key, show(n), "must be a single value (a string), not a list or mapping"});
    return std::nullopt;
  }
  return n.Scalar();
}

std::optional<std::vector<std::string>> Document::get_string_list(const std::string& key, Problems* problems) const {
  const YAML::Node n = node(key);
  if (!n.IsDefined() || n.IsNull()) return std::nullopt;
  std::vector<std::string> out;
  if (n.IsSequence()) {
    for (const auto& item : n) {
      if (!item.IsScalar()) break;
      out.push_back(item.Scalar());
    }
    if (out.size() == n.size()) return out;
  }
  problems->push_back({key, show(n), "must be a list of strings, e.g. [a, b]"});
  return std::nullopt;
}

std::optional<std::vector<double>> Document::get_number_list(const std::string& key, Problems* problems) const {
  const YAML::Node n = node(key);
  if (!n.IsDefined() || n.IsNull()) return std::nullopt;
  std::vector<double> out;
  if (n.IsSequence()) {
    for (const auto& item : n) {
      double v = 0;
      if (!convert(item, &v) || !std::isfinite(v)) break;
      out.push_back(v);
    }
    if (out.size() == n.size()) return out;
  }
  problems->push_back({key, show(n), "must be a list of numbers, e.g. [0.9, 0.95]"});
  return std::nullopt;
}

std::vector<std::string> Document::keys(const std::string& block) const {
  std::vector<std::string> out;
  const YAML::Node n = node(block);
  if (!n.IsMap()) return out;
  for (const auto& kv : n) out.push_back(kv.first.IsScalar() ? kv.first.Scalar() : show(kv.first));
  return out;
}

std::vector<std::pair<std::string, Document>> Document::entries(const std::string& block) const {
  std::vector<std::pair<std::string, Document>> out;
  const YAML::Node n = node(block);
  if (!n.IsMap()) return out;
  for (const auto& kv : n) {
    Document d;
    d.origin_ = origin_;
    d.root_ = kv.second;
    out.emplace_back(kv.first.IsScalar() ? kv.first.Scalar() : show(kv.first), d);
  }
  return out;
}

void Document::check_keys(const std::string& block, const std::vector<std::string>& known, Problems* problems) const {
  const YAML::Node n = node(block);
  if (!n.IsDefined() || n.IsNull()) return;
  if (!n.IsMap()) {
    problems->push_back({block, show(n), "must be a mapping of keys"});
    return;
  }
  std::string list;
  for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
  for (const auto& k : keys(block)) {
    if (std::find(known.begin(), known.end(), k) == known.end()) {
      const std::string full = block.empty() ? k : block + "." + k;
      problems->push_back({full, text(full), "unknown key; the known keys are: " + list});
    }
  }
}

namespace {

// Every key of `n` as a dotted path (mappings only), for "did you mean".
void collect_keys(const YAML::Node& n, const std::string& prefix, std::vector<std::string>* out) {
  if (!n.IsMap()) return;
  for (const auto& kv : n) {
    if (!kv.first.IsScalar()) continue;
    const std::string key = prefix.empty() ? kv.first.Scalar() : prefix + "." + kv.first.Scalar();
    out->push_back(key);
    collect_keys(kv.second, key, out);
  }
}

}  // namespace

bool Document::apply_overrides(const std::vector<std::string>& args, Problems* problems) {
  const size_t before = problems->size();
  for (const std::string& arg : args) {
    const std::optional<Override> o = parse_override(arg, problems);
    if (o) apply_override(*o, problems);
  }
  return problems->size() == before;
}

void Document::apply_override(const Override& o, Problems* problems) {
  const std::vector<std::string> path = split_key(o.key);
  const std::string written = o.value ? show(*o.value) : "(delete)";
  const YAML::Node current = node(o.key);
  const bool exists = current.IsDefined();
  // launch: is trn-train's own block: its keys are set without `+` and checked by name
  // where it is read (check_keys), so a typo there is refused all the same.
  const bool ours = path.size() > 1 && path[0] == "launch";
  auto refuse = [&](const std::string& fix) { problems->push_back({o.key, written, fix}); };
  auto near = [&] {
    std::vector<std::string> known;
    collect_keys(root_, "", &known);
    return did_you_mean(o.key, known);
  };
  switch (o.kind) {
    case OverrideKind::kSet:
      if (!exists && !ours)
        return refuse("no such key in " + origin_ + near() + "; to add a new key write +" + o.key + "=" + written);
      break;
    case OverrideKind::kAdd:
      if (exists) return refuse("is already set (to " + show(current) + "); write " + o.key + "=... to change it");
      break;
    case OverrideKind::kForceAdd:
      break;
    case OverrideKind::kDelete:
      if (!exists && ours) return;  // our own block: deleting an unset launch key is a no-op
      if (!exists) return refuse("no such key to delete in " + origin_ + near());
      if (o.value && show(current) != show(*o.value))
        return refuse("holds " + show(current) + ", not " + show(*o.value) + "; ~" + o.key + " deletes it whatever it holds");
      break;
  }
  // Walk down creating maps; fresh handles at each step (see node()).
  std::vector<YAML::Node> chain{root_};
  for (size_t i = 0; i + 1 < path.size(); ++i) {
    YAML::Node next = chain.back()[path[i]];
    if (next.IsDefined() && !next.IsNull() && !next.IsMap())
      return refuse("cannot be set: " + path[i] + " is " + show(next) + ", not a mapping");
    chain.push_back(next);
  }
  if (o.kind == OverrideKind::kDelete) {
    chain.back().remove(path.back());
  } else {
    chain.back()[path.back()] = *o.value;
  }
}

void Document::set_string(const std::string& key, const std::string& value) { set(key, YAML::Node(value)); }

void Document::set(const std::string& key, const YAML::Node& value) {
  const std::vector<std::string> path = split_key(key);
  std::vector<YAML::Node> chain{root_};
  for (size_t i = 0; i + 1 < path.size(); ++i) chain.push_back(chain.back()[path[i]]);
  chain.back()[path.back()] = value;
}

Document Document::clone() const {
  Document d;
  d.origin_ = origin_;
  d.root_ = YAML::Clone(root_);
  return d;
}

std::string Document::dump() const {
  YAML::Emitter e;
  e << root_;
  return std::string(e.c_str()) + "\n";
}

}  // namespace trn::config
