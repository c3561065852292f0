#include "launcher/preflight/preflight_report.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>

#include "common/hostlist.h"

namespace trn {

std::string row_to_json(const NodeRow& row) {
  using J = nlohmann::ordered_json;
  J checks = J::object();
  for (size_t i = 0; i < kCheckCount; ++i) {
    const CheckCell& c = row.cells[i];
    checks[to_string(static_cast<Check>(i))] = {{"status", to_string(c.status)}, {"value", c.value}, {"detail", c.detail}};
  }
  J j = {{"node", row.node}, {"rank", row.rank}, {"checks", checks}};
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

bool row_from_json(const std::string& text, NodeRow* row, std::string* error) {
  const auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object() || !j.contains("node") || !j["node"].is_string() || !j.contains("rank") ||
      !j["rank"].is_number_integer() || !j.contains("checks") || !j["checks"].is_object()) {
    *error = "not a preflight row (node, rank, checks)";
    return false;
  }
  NodeRow r;
  r.node = j["node"].get<std::string>();
  r.rank = j["rank"].get<int>();
  for (size_t i = 0; i < kCheckCount; ++i) {
    const char* name = to_string(static_cast<Check>(i));
    const auto it = j["checks"].find(name);
    if (it == j["checks"].end() || !it->is_object()) {
      *error = std::string("check '") + name + "' missing";
      return false;
    }
    CheckCell& c = r.cells[i];
    const auto text_of = [&](const char* key) {
      const auto f = it->find(key);
      return f != it->end() && f->is_string() ? f->get<std::string>() : std::string();
    };
    if (!parse_check_status(text_of("status"), &c.status)) {
      *error = std::string("check '") + name + "' has no valid status";
      return false;
    }
    c.value = text_of("value");
    c.detail = text_of("detail");
  }
  *row = std::move(r);
  return true;
}

namespace {

std::string cell_text(const CheckCell& c) {
  std::string s = to_string(c.status);
  if (!c.value.empty() && c.value != "-") s += " " + c.value;
  return s;
}

std::string pad(std::string s, size_t width) {
  if (s.size() < width) s.append(width - s.size(), ' ');
  return s;
}

}  // namespace

std::string format_table(const std::vector<NodeRow>& rows) {
  std::vector<size_t> width(kCheckCount + 1, 4);
  for (size_t i = 0; i < kCheckCount; ++i) width[i + 1] = std::string(to_string(static_cast<Check>(i))).size();
  for (const auto& r : rows) {
    width[0] = std::max(width[0], r.node.size());
    for (size_t i = 0; i < kCheckCount; ++i) width[i + 1] = std::max(width[i + 1], cell_text(r.cells[i]).size());
  }
  auto line = [&](const std::vector<std::string>& cols) {
    std::string s;
    for (size_t i = 0; i < cols.size(); ++i) s += i + 1 < cols.size() ? pad(cols[i], width[i] + 2) : cols[i];
    return s + "\n";
  };
  std::vector<std::string> head{"node"};
  for (size_t i = 0; i < kCheckCount; ++i) head.push_back(to_string(static_cast<Check>(i)));
  std::string out = line(head);
  for (const auto& r : rows) {
    std::vector<std::string> cols{r.node};
    for (const auto& c : r.cells) cols.push_back(cell_text(c));
    out += line(cols);
  }
  // Details once per (check, status, text), naming the nodes it applies to: a warning
  // every node shares is one line, not one per node.
  std::vector<std::pair<std::string, std::vector<std::string>>> details;
  for (size_t i = 0; i < kCheckCount; ++i) {
    for (const auto& r : rows) {
      const CheckCell& c = r.cells[i];
      if (c.detail.empty() || c.status == CheckStatus::kOk || c.status == CheckStatus::kNa) continue;
      const std::string text = std::string(to_string(static_cast<Check>(i))) + " " + to_string(c.status) + ": " + c.detail;
      auto it = std::find_if(details.begin(), details.end(), [&](const auto& d) { return d.first == text; });
      if (it == details.end()) it = details.insert(details.end(), {text, {}});
      it->second.push_back(r.node);
    }
  }
  for (const auto& [text, nodes] : details) out += "  " + compress_hostlist(nodes) + " " + text + "\n";
  return out;
}

std::string format_verdict(const std::vector<NodeRow>& rows) {
  std::vector<std::string> bad;
  size_t warnings = 0;
  for (const auto& r : rows) {
    if (r.bad()) bad.push_back(r.node);
    for (const auto& c : r.cells) warnings += c.status == CheckStatus::kWarn;
  }
  const std::string n = std::to_string(rows.size()) + (rows.size() == 1 ? " node" : " nodes");
  if (bad.empty()) {
    const std::string w = std::to_string(warnings) + (warnings == 1 ? " warning" : " warnings");
    return "preflight: ok: " + n + (warnings ? " (" + w + " above)" : "") + "\n";
  }
  const std::string list = compress_hostlist(bad);
  return "preflight: FAIL on " + std::to_string(bad.size()) + " of " + n + ": " + list +
         "\npreflight: skip them: sbatch --exclude=" + list + " ...\n";
}

}  // namespace trn
