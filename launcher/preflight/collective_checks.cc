#include "launcher/preflight/collective_checks.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace trn {

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
                              const std::string& test, double min_fraction) {
  CollectiveVerdict v;
  double best = 0;
  bool measured = false;  // any pair has a bandwidth
  for (const auto& r : results) {
    measured |= r.ran && r.error.empty();
    if (r.ran && r.error.empty() && !r.one_machine) best = std::max(best, r.busbw);
  }
  std::vector<int> pairs_of(hosts.size(), 0), slow_of(hosts.size(), 0);
  std::vector<const PairResult*> slow_pairs;
  for (const auto& r : results) {
    const std::string name = hosts.at(static_cast<size_t>(r.pair.a)) + "+" + hosts.at(static_cast<size_t>(r.pair.b));
    const bool slow = !r.ran || !r.error.empty() || (!r.one_machine && r.busbw < min_fraction * best);
    std::string why = !r.ran ? "no result" : !r.error.empty() ? "failed: " + r.error : gbps(r.busbw);
    if (r.ran && r.error.empty() && r.one_machine) why += " (both nodes on one machine: not judged)";
    if (slow && r.ran && r.error.empty()) why += ", below " + std::to_string(static_cast<int>(min_fraction * 100)) +
                                                 "% of the fastest pair's " + gbps(best);
    v.lines.push_back("collective: " + name + " " + test + " busbw " + why + (slow ? " SLOW" : ""));
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
  // Every pair failed alike (the program missing, MPI not started): blaming every node
  // would drain a healthy cluster; the lines above say why.
  if (!results.empty() && !measured) {
    v.none_ran = true;
    v.slow_nodes.clear();
  }
  return v;
}

}  // namespace trn
