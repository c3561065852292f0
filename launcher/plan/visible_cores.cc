#include "launcher/plan/visible_cores.h"

#include <charconv>

namespace trn {

std::optional<std::vector<int>> parse_visible_cores(const std::string& list) {
  constexpr long kMaxCores = 65536;
  std::vector<int> cores;
  const char* p = list.data();
  const char* end = p + list.size();
  if (p == end) return std::nullopt;
  while (p < end) {
    int lo = 0, hi = 0;
    auto r = std::from_chars(p, end, lo);
    if (r.ec != std::errc() || *p == '+' || *p == '-') return std::nullopt;
    p = r.ptr;
    hi = lo;
    if (p < end && *p == '-') {
      r = std::from_chars(p + 1, end, hi);
      if (r.ec != std::errc() || p[1] == '+' || p[1] == '-') return std::nullopt;
      p = r.ptr;
    }
    if (hi < lo || static_cast<long>(cores.size()) + (static_cast<long>(hi) - lo + 1) > kMaxCores) return std::nullopt;
    for (int c = lo; c <= hi; ++c) cores.push_back(c);
    if (p < end && (*p != ',' || p + 1 == end)) return std::nullopt;
    if (p < end) ++p;
  }
  return cores;
}

}  // namespace trn
