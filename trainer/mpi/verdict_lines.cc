// The pure half of trainer/mpi/input_verdict.h (no MPI), so the unit tests link it.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>

#include "trainer/mpi/input_verdict.h"

namespace trn::native {
namespace {

// "rank 1", "ranks 0-3, 6": runs of consecutive ranks as ranges, so a problem on 63 of
// 64 ranks stays one short line.
std::string rank_list(const std::vector<int>& ranks) {
  std::string out;
  for (size_t i = 0; i < ranks.size();) {
    size_t j = i;
    while (j + 1 < ranks.size() && ranks[j + 1] == ranks[j] + 1) ++j;
    out += (out.empty() ? "" : ", ") + std::to_string(ranks[i]) + (j > i ? "-" + std::to_string(ranks[j]) : "");
    i = j + 1;
  }
  return (ranks.size() == 1 ? "rank " : "ranks ") + out;
}

}  // namespace

Problems verdict_problems(const std::vector<RankProblems>& ranks) {
  // Each distinct problem once, in the order first seen (rank order, then the rank's own).
  std::vector<std::string> order;
  std::map<std::string, std::pair<Problem, std::vector<int>>> seen;
  for (size_t r = 0; r < ranks.size(); ++r)
    for (const Problem& p : ranks[r].problems) {
      const std::string text = p.str();
      auto [it, fresh] = seen.try_emplace(text, p, std::vector<int>{});
      if (fresh) order.push_back(text);
      if (it->second.second.empty() || it->second.second.back() != static_cast<int>(r))
        it->second.second.push_back(static_cast<int>(r));
    }
  Problems out;
  for (const std::string& text : order) {
    auto [p, where] = seen.at(text);
    if (where.size() < ranks.size()) {
      std::vector<std::string> nodes;
      for (int r : where)
        if (std::find(nodes.begin(), nodes.end(), ranks[r].node) == nodes.end()) nodes.push_back(ranks[r].node);
      std::string on;
      for (const std::string& n : nodes) on += (on.empty() ? "" : ", ") + n;
      p.key = rank_list(where) + " on " + on + ": " + p.key;
    }
    out.push_back(p);
  }
  return out;
}

std::string rank_problems_text(const RankProblems& r) {
  nlohmann::json j = {{"node", r.node}, {"problems", nlohmann::json::array()}};
  for (const Problem& p : r.problems) j["problems"].push_back({p.key, p.value, p.fix});
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

bool parse_rank_problems(const std::string& text, RankProblems* out) {
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object() || !j.contains("node") || !j["node"].is_string() || !j.contains("problems") ||
      !j["problems"].is_array())
    return false;
  RankProblems r;
  r.node = j["node"].get<std::string>();
  for (const nlohmann::json& p : j["problems"]) {
    if (!p.is_array() || p.size() != 3 || !p[0].is_string() || !p[1].is_string() || !p[2].is_string()) return false;
    r.problems.push_back({p[0].get<std::string>(), p[1].get<std::string>(), p[2].get<std::string>()});
  }
  *out = std::move(r);
  return true;
}

}  // namespace trn::native
