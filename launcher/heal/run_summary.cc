#include "launcher/heal/run_summary.h"

#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "common/hostlist.h"

namespace trn {
namespace {

// The number after `key=` in a progress line (key preceded by a space, a comma or '|' so
// that "loss=" is not found inside "reduced_train_loss=").
std::optional<double> field(const std::string& line, const std::string& key) {
  for (size_t at = line.find(key + "="); at != std::string::npos; at = line.find(key + "=", at + 1)) {
    if (at > 0 && line[at - 1] != ' ' && line[at - 1] != ',' && line[at - 1] != '|') continue;
    const char* start = line.c_str() + at + key.size() + 1;
    char* end = nullptr;
    const double v = std::strtod(start, &end);
    if (end != start) return v;
  }
  return std::nullopt;
}

std::vector<std::string> drained_of(const std::vector<RunFacts>& runs) {
  std::vector<std::string> all;
  for (const auto& r : runs)
    if (r.decision) all.insert(all.end(), r.decision->drained.begin(), r.decision->drained.end());
  return all;
}

std::string ended(const RunFacts& r, bool last) {
  if (!r.decision) return last ? "-" : "ended (requeued by Slurm)";
  return std::string(to_string(r.decision->reason)) + (r.decision->requeued ? ", requeued" : ", not requeued");
}

std::string number(const std::optional<double>& v, const char* format) {
  if (!v) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, format, *v);
  return buf;
}

}  // namespace

std::optional<ProgressPoint> parse_progress_line(const std::string& line) {
  const auto step = field(line, "global_step");
  if (!step) return std::nullopt;
  ProgressPoint p;
  p.step = static_cast<long long>(*step);
  p.loss = field(line, "reduced_train_loss");
  if (!p.loss) p.loss = field(line, "loss");
  p.tokens_per_s = field(line, "tokens_per_sec");
  return p;
}

std::optional<ProgressPoint> last_progress(const std::string& log_text) {
  // Lines end with \n, or \r where a terminal's progress bar redraws itself.
  size_t end = log_text.size();
  while (end > 0) {
    const size_t start = log_text.find_last_of("\r\n", end - 1);
    const size_t from = start == std::string::npos ? 0 : start + 1;
    if (auto p = parse_progress_line(log_text.substr(from, end - from))) return p;
    if (start == std::string::npos) break;
    end = start;
  }
  return std::nullopt;
}

std::string summary_table(const std::string& job_id, const std::vector<RunFacts>& runs) {
  const std::vector<std::string> drained = drained_of(runs);
  std::string out = "job " + job_id + ": " + std::to_string(runs.size()) + " run(s), " +
                    std::to_string(runs.empty() ? 0 : runs.size() - 1) + " restart(s), drained nodes: " +
                    (drained.empty() ? "none" : compress_hostlist(drained)) + "\n";
  char line[256];
  std::snprintf(line, sizeof line, "%-4s %-6s %-10s %-10s %-10s %s\n", "run", "nodes", "step", "loss", "tokens/s",
                "ended");
  out += line;
  for (size_t i = 0; i < runs.size(); ++i) {
    const RunFacts& r = runs[i];
    const std::string step = r.progress ? std::to_string(r.progress->step) : "-";
    std::snprintf(line, sizeof line, "%-4d %-6d %-10s %-10s %-10s %s\n", r.restart, r.nodes, step.c_str(),
                  number(r.progress ? r.progress->loss : std::nullopt, "%.4g").c_str(),
                  number(r.progress ? r.progress->tokens_per_s : std::nullopt, "%.0f").c_str(),
                  ended(r, i + 1 == runs.size()).c_str());
    out += line;
    if (r.decision)
      for (const auto& b : r.decision->bad) out += "     bad node " + b.host + ": " + b.why + "\n";
  }
  return out;
}

std::string summary_json(const std::string& job_id, const std::vector<RunFacts>& runs) {
  nlohmann::ordered_json j;
  j["job"] = job_id;
  j["restarts"] = runs.empty() ? 0 : runs.size() - 1;
  j["drained"] = drained_of(runs);
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const auto& r : runs) {
    nlohmann::ordered_json o;
    o["restart"] = r.restart;
    o["nodes"] = r.nodes;
    o["step"] = r.progress ? nlohmann::ordered_json(r.progress->step) : nullptr;
    o["loss"] = r.progress && r.progress->loss ? nlohmann::ordered_json(*r.progress->loss) : nullptr;
    o["tokens_per_s"] = r.progress && r.progress->tokens_per_s ? nlohmann::ordered_json(*r.progress->tokens_per_s) : nullptr;
    o["decision"] = r.decision ? nlohmann::ordered_json::parse(decision_json(*r.decision)) : nullptr;
    list.push_back(o);
  }
  j["runs"] = list;
  return j.dump(2) + "\n";
}

}  // namespace trn
