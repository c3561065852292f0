#include "launcher/heal/heal_record.h"

#include <nlohmann/json.hpp>

#include "common/hostlist.h"

namespace trn {

const char* to_string(HealReason r) {
  switch (r) {
    case HealReason::kTimeLimit: return "time-limit";
    case HealReason::kBadNode: return "bad-node";
    case HealReason::kHang: return "hang";
  }
  return "?";
}

std::optional<HealReason> heal_reason_from(const std::string& name) {
  for (HealReason r : {HealReason::kTimeLimit, HealReason::kBadNode, HealReason::kHang})
    if (name == to_string(r)) return r;
  return std::nullopt;
}

std::string decision_json(const HealDecision& d) {
  nlohmann::json bad = nlohmann::json::array();
  for (const auto& b : d.bad) bad.push_back({{"node", b.host}, {"why", b.why}});
  const nlohmann::json j = {{"restart", d.restart},   {"reason", to_string(d.reason)}, {"bad_nodes", bad},
                            {"drained", d.drained},   {"excluded", d.excluded},        {"requeued", d.requeued},
                            {"not_requeued", d.not_requeued}, {"decided_by", d.decided_by}};
  return j.dump() + "\n";
}

std::optional<HealDecision> parse_decision(const std::string& text, std::string* why) {
  try {
    const nlohmann::json j = nlohmann::json::parse(text);
    HealDecision d;
    d.restart = j.at("restart").get<int>();
    const auto reason = heal_reason_from(j.at("reason").get<std::string>());
    if (!reason) {
      *why = "unknown reason " + j.at("reason").dump();
      return std::nullopt;
    }
    d.reason = *reason;
    for (const auto& b : j.at("bad_nodes")) d.bad.push_back({b.at("node").get<std::string>(), b.at("why").get<std::string>()});
    d.drained = j.at("drained").get<std::vector<std::string>>();
    d.excluded = j.at("excluded").get<std::vector<std::string>>();
    d.requeued = j.at("requeued").get<bool>();
    d.not_requeued = j.at("not_requeued").get<std::string>();
    d.decided_by = j.at("decided_by").get<std::string>();
    return d;
  } catch (const nlohmann::json::exception& e) {
    *why = e.what();
    return std::nullopt;
  }
}

std::string describe_decision(const HealDecision& d, const std::string& job_id) {
  std::string s = (job_id.empty() ? "" : "job " + job_id + ", ") + "run " + std::to_string(d.restart) + ": ";
  switch (d.reason) {
    case HealReason::kTimeLimit: s += "time limit near"; break;
    case HealReason::kBadNode: s += "bad node"; break;
    case HealReason::kHang: s += "hang, no node to blame"; break;
  }
  for (const auto& b : d.bad) s += "; " + b.host + ": " + b.why;
  if (!d.drained.empty()) s += "; drained " + compress_hostlist(d.drained);
  if (!d.excluded.empty()) s += "; excluded from the requeued job (not ours to drain) " + compress_hostlist(d.excluded);
  s += d.requeued ? "; requeued (restart " + std::to_string(d.restart + 1) + ")" : "; not requeued: " + d.not_requeued;
  return s;
}

}  // namespace trn
