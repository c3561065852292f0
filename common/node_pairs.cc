#include "common/node_pairs.h"

#include <cstdio>

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

namespace {
constexpr const char kOneMachine[] = " one-machine";
}  // namespace

std::string pair_result_line(const PairLine& l) {
  char buf[96];
  std::snprintf(buf, sizeof buf, "pair %zu %d %d busbw %.4f%s", l.round, l.pair.a, l.pair.b, l.busbw,
                l.one_machine ? kOneMachine : "");
  return buf;
}

bool parse_pair_result_line(const std::string& line, PairLine* out) {
  PairLine r;
  int consumed = 0;
  if (std::sscanf(line.c_str(), "pair %zu %d %d busbw %lf%n", &r.round, &r.pair.a, &r.pair.b, &r.busbw, &consumed) !=
          4 ||
      r.busbw < 0)
    return false;
  const std::string rest = line.substr(static_cast<size_t>(consumed));
  if (!rest.empty() && rest != kOneMachine) return false;
  r.one_machine = !rest.empty();
  *out = r;
  return true;
}

}  // namespace trn
