#include "launcher/heal/hardware_errors.h"

#include "common/config/document.h"
#include "common/config/search_path.h"
#include "launcher/errors.h"

namespace trn {
namespace {

constexpr const char* kFile = "hardware_errors.yaml";

std::optional<HardwareErrorPattern> read_pattern(const std::string& name, const config::Document& e, Problems* found) {
  e.check_keys("", {"regex", "means"}, found);
  HardwareErrorPattern p;
  p.name = name;
  p.means = e.get_string("means", found).value_or("");
  if (p.means.empty()) found->push_back({"means", e.text("means"), "say what the error means (the node's drain reason)"});
  const std::string text = e.get_string("regex", found).value_or("");
  if (text.empty()) {
    found->push_back({"regex", e.text("regex"), "give the line's ECMAScript regular expression"});
    return std::nullopt;
  }
  try {
    p.regex = std::regex(text, std::regex::ECMAScript | std::regex::optimize);
  } catch (const std::regex_error& err) {
    found->push_back({"regex", text, std::string("not an ECMAScript regular expression: ") + err.what()});
    return std::nullopt;
  }
  // It would match every line, and so drain every node that prints anything.
  if (std::regex_search(std::string(), p.regex)) {
    found->push_back({"regex", text, "matches an empty line: it must match only the error's text"});
    return std::nullopt;
  }
  return p;
}

std::vector<HardwareErrorPattern> read_patterns(const config::Document& doc, const std::string& origin,
                                                Problems* problems) {
  std::vector<HardwareErrorPattern> out;
  Problems found;
  doc.check_keys("", {"patterns"}, &found);
  if (doc.keys("patterns").empty())
    found.push_back({"patterns", doc.text("patterns"), "must map pattern names to {regex, means}"});
  for (auto& p : found) p.key = origin + ": " + p.key;
  problems->insert(problems->end(), found.begin(), found.end());
  for (const auto& [name, e] : doc.entries("patterns")) {
    Problems bad;
    if (auto p = read_pattern(name, e, &bad)) out.push_back(std::move(*p));
    for (auto& b : bad) b.key = origin + ": patterns." + name + (b.key.empty() ? "" : "." + b.key);
    problems->insert(problems->end(), bad.begin(), bad.end());
  }
  return out;
}

}  // namespace

std::vector<HardwareErrorPattern> parse_hardware_errors(const std::string& text, const std::string& origin,
                                                        Problems* problems) {
  config::Document doc;
  if (!config::Document::parse(text, origin, &doc, problems)) return {};
  return read_patterns(doc, origin, problems);
}

std::vector<HardwareErrorPattern> load_hardware_errors(const std::string& config_dir, const config::SiteConfig& site) {
  std::vector<std::string> dirs{config_dir};
  for (const auto& d : config::config_search_path(site)) dirs.push_back(d);
  const std::string path = config::find_in(dirs, kFile);
  if (path.empty()) throw InputError({{kFile, "(not found)", "install conf/hardware_errors.yaml next to the configs"}});
  Problems problems;
  config::Document doc;
  if (!config::Document::load(path, &doc, &problems)) throw InputError(problems);
  auto patterns = read_patterns(doc, path, &problems);
  throw_if_any(problems);
  return patterns;
}

const std::optional<HardwareErrorMatch>& HardwareErrorMatcher::feed(std::string_view chunk) {
  for (size_t i = 0; i < chunk.size() && !match_; ++i) {
    const char c = chunk[i];
    if (c == '\n' || c == '\r') {
      end_line();
    } else if (line_.size() < kMaxLine) {
      line_ += c;
    }
  }
  return match_;
}

void HardwareErrorMatcher::end_line() {
  for (const auto& p : patterns_) {
    if (std::regex_search(line_, p.regex)) {
      match_ = HardwareErrorMatch{p.name, p.means, line_};
      break;
    }
  }
  line_.clear();
}

}  // namespace trn
