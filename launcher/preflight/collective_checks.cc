#include "launcher/preflight/collective_checks.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace trn {

std::vector<std::vector<NodePair>> pair_rounds(int nodes) {
  std::vector<std::vector<NodePair>> rounds;
  if (nodes < 2) return rounds;
  std::vector<NodePair> first, second;
  for (int i = 0; i + 1 < nodes; i += 2) first.push_back({i, i + 1});
  rounds.push_back(first);
  if (nodes == 2) return rounds;
  for (int i = 1; i + 1 < nodes; i += 2) second.push_back({i, i + 1});
  if (nodes % 2 == 0) second.push_back({nodes - 1, 0});
  rounds.push_back(second);
  return rounds;
}

bool parse_nccom_busbw(const std::string& output, double* gbps) {
  const std::string key = "Avg bus bandwidth:";
  const auto at = output.rfind(key);
  if (at == std::string::npos) return false;
  const char* start = output.c_str() + at + key.size();
  char* end = nullptr;
  const double v = std::strtod(start, &end);
  if (end == start || v < 0) return false;
  *gbps = v;
  return true;
}

namespace {

std::string gbps(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f GB/s", v);
  return buf;
}

}  // namespace

CollectiveVerdict judge_pairs(const std::vector<PairResult>& results, const std::vector<std::string>& hosts,
                              double min_fraction) {
  CollectiveVerdict v;
  double best = 0;
  for (const auto& r : results)
    if (r.ran && r.error.empty()) best = std::max(best, r.busbw);
  std::vector<int> pairs_of(hosts.size(), 0), slow_of(hosts.size(), 0);
  std::vector<const PairResult*> slow_pairs;
  for (const auto& r : results) {
    const std::string name = hosts.at(static_cast<size_t>(r.pair.a)) + "+" + hosts.at(static_cast<size_t>(r.pair.b));
    const bool slow = !r.ran || !r.error.empty() || r.busbw < min_fraction * best;
    std::string why = !r.ran ? "no result" : !r.error.empty() ? "failed: " + r.error : gbps(r.busbw);
    if (slow && r.ran && r.error.empty()) why += ", below " + std::to_string(static_cast<int>(min_fraction * 100)) +
                                                 "% of the fastest pair's " + gbps(best);
    v.lines.push_back("collective: " + name + " all-reduce busbw " + why + (slow ? " SLOW" : ""));
    for (int n : {r.pair.a, r.pair.b}) {
      ++pairs_of[static_cast<size_t>(n)];
      if (slow) ++slow_of[static_cast<size_t>(n)];
    }
    if (slow) slow_pairs.push_back(&r);
  }
  for (size_t n = 0; n < hosts.size(); ++n)
    if (pairs_of[n] > 0 && slow_of[n] == pairs_of[n]) v.slow_nodes.push_back(hosts[n]);
  for (const PairResult* r : slow_pairs) {
    const auto& a = hosts.at(static_cast<size_t>(r->pair.a));
    const auto& b = hosts.at(static_cast<size_t>(r->pair.b));
    const bool named = std::find(v.slow_nodes.begin(), v.slow_nodes.end(), a) != v.slow_nodes.end() ||
                       std::find(v.slow_nodes.begin(), v.slow_nodes.end(), b) != v.slow_nodes.end();
    if (!named) v.lines.push_back("collective: the link between " + a + " and " + b + " is slow (both are fast elsewhere)");
  }
  v.ok = slow_pairs.empty();
  return v;
}

}  // namespace trn
