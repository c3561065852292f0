#include "launcher/health/health_checks.h"

namespace trn {
namespace {

// A version against its pin: FAIL when it differs, or cannot be read while pinned.
CheckCell pinned(CheckCell cell, const std::string& have, const std::string& pin, const std::string& what,
                 const std::string& flag) {
  if (pin.empty() || cell.status == CheckStatus::kNa || cell.status == CheckStatus::kFail) return cell;
  if (have.empty())
    return {CheckStatus::kFail, "?", what + "'s version is unknown, the cluster runs " + pin + " (" + flag + ")"};
  if (version_matches(have, pin)) return cell;
  return {CheckStatus::kFail, have,
          what + " " + have + " here, the cluster runs " + pin + " (" + flag + "): install that version or drain"};
}

CheckCell runtime(const HealthFacts& f, const Expectation& w) {
  if (!w.neuron) return {CheckStatus::kNa, "-", ""};
  if (f.runtime_version.empty()) {
    return {CheckStatus::kWarn, "?",
            "the Neuron runtime's version is unknown (package aws-neuronx-runtime-lib): install it from the Neuron "
            "repository, or ignore this on a node that runs only the native engine"};
  }
  return {CheckStatus::kOk, f.runtime_version, ""};
}

// "neuron3/stats/hardware/mem_ecc_uncorrected 0 -> 2" for each counter above its baseline.
std::string risen(const ErrorCounters& baseline, const ErrorCounters& now, int* count) {
  std::string text;
  *count = 0;
  for (const auto& [name, value] : now) {
    auto it = baseline.find(name);
    if (it == baseline.end() || value <= it->second) continue;
    if (++*count <= 3)
      text += (text.empty() ? "" : ", ") + name + " " + std::to_string(it->second) + " -> " + std::to_string(value);
  }
  if (*count > 3) text += " and " + std::to_string(*count - 3) + " more";
  return text;
}

CheckCell counters(const HealthFacts& f, const Expectation& w, bool accept) {
  if (!w.neuron) return {CheckStatus::kNa, "-", ""};
  const std::string n = std::to_string(f.counters.size());
  if (!f.state_error.empty()) return {CheckStatus::kWarn, n, "error counts not compared: " + f.state_error};
  if (f.counters.empty()) {
    return {CheckStatus::kWarn, "0",
            "no Neuron error counters in sysfs (stats/hardware, neuron_coreN/stats/status): a driver layout this "
            "version does not read"};
  }
  if (accept || !f.have_baseline) return {CheckStatus::kOk, n, ""};
  int count = 0;
  const std::string rose = risen(f.baseline, f.counters, &count);
  if (count == 0) return {CheckStatus::kOk, n, ""};
  return {CheckStatus::kFail, std::to_string(count),
          "error counts rose: " + rose +
              "; after investigating, reload the driver or run `trn-train health --accept-counters`"};
}

}  // namespace

bool version_matches(const std::string& have, const std::string& pin) {
  if (have.rfind(pin, 0) != 0) return false;
  return have.size() == pin.size() || std::string(".-+").find(have[pin.size()]) != std::string::npos;
}

bool HealthVerdict::healthy() const {
  for (const auto& l : lines)
    if (l.cell.status == CheckStatus::kFail) return false;
  return true;
}

std::string HealthVerdict::drain_reason() const {
  for (const auto& l : lines) {
    if (l.cell.status != CheckStatus::kFail) continue;
    std::string reason = std::string(kHealthReasonPrefix) + ": " + l.check + ": " + l.cell.detail;
    if (reason.size() > 200) reason = reason.substr(0, 197) + "...";
    return reason;
  }
  return "";
}

ErrorCounters next_baseline(const ErrorCounters& baseline, const ErrorCounters& now, bool accept) {
  if (accept) return now;
  ErrorCounters next;
  for (const auto& [name, value] : now) {
    auto it = baseline.find(name);
    next[name] = it != baseline.end() && value > it->second ? it->second : value;
  }
  return next;
}

HealthVerdict judge_health(const HealthFacts& f, const Expectation& want, bool accept_counters,
                           const VersionPins& pins) {
  const NodeRow row = check_node(f.node, want);
  HealthVerdict v;
  for (Check c : {Check::kInstance, Check::kDevices, Check::kDriver, Check::kEfa, Check::kCache, Check::kFiles}) {
    CheckCell cell = row.at(c);
    if (c == Check::kDriver) cell = pinned(cell, f.node.driver_version, pins.driver, "the Neuron driver", "--driver");
    v.lines.push_back({to_string(c), cell});
  }
  v.lines.push_back({"runtime", pinned(runtime(f, want), f.runtime_version, pins.runtime, "the Neuron runtime",
                                       "--runtime")});
  v.lines.push_back({"counters", counters(f, want, accept_counters)});
  v.next_baseline = f.state_error.empty() ? next_baseline(f.baseline, f.counters, accept_counters || !f.have_baseline)
                                          : f.counters;
  return v;
}

bool parse_scontrol_node(const std::string& line, SlurmNodeState* state) {
  // `scontrol show node -o` prints one line of Key=Value fields; Reason comes last and
  // may hold spaces, so it runs to the end, less Slurm's " [user@time]".
  const auto at = line.find(" State=");
  if (line.rfind("NodeName=", 0) != 0 || at == std::string::npos) return false;
  const auto end = line.find(' ', at + 1);
  const std::string st = line.substr(at + 7, end == std::string::npos ? std::string::npos : end - at - 7);
  state->drained = st.find("DRAIN") != std::string::npos;
  state->reason.clear();
  if (const auto r = line.find(" Reason="); r != std::string::npos) {
    std::string reason = line.substr(r + 8);
    while (!reason.empty() && (reason.back() == '\n' || reason.back() == ' ')) reason.pop_back();
    if (const auto stamp = reason.rfind(" ["); stamp != std::string::npos && reason.back() == ']')
      reason.erase(stamp);
    state->reason = reason;
  }
  return true;
}

NodeAction decide_node_action(bool healthy, const SlurmNodeState& s, const std::string& reason) {
  const bool ours = s.reason.rfind(kHealthReasonPrefix, 0) == 0;
  if (healthy) return s.drained && ours ? NodeAction::kResume : NodeAction::kNone;
  if (s.drained && (!ours || s.reason == reason)) return NodeAction::kNone;
  return NodeAction::kDrain;
}

}  // namespace trn
