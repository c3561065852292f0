#include "launcher/plan/visible_cores.h"

#include <charconv>

namespace trn {

bool count_visible_cores(const std::string& list, int* count) {
  long total = 0;
  const char* p = list.data();
  const char* end = p + list.size();
  if (p == end) return false;
  while (p < end) {
    int lo = 0, hi = 0;
    auto r = std::from_chars(p, end, lo);
    if (r.ec != std::errc() || *p == '+' || *p == '-') return false;
    p = r.ptr;
    hi = lo;
    if (p < end && *p == '-') {
      r = std::from_chars(p + 1, end, hi);
      if (r.ec != std::errc() || p[1] == '+' || p[1] == '-') return false;
      p = r.ptr;
    }
    if (hi < lo) return false;
    total += static_cast<long>(hi) - lo + 1;
    if (total > 65536) return false;
    if (p < end && (*p != ',' || p + 1 == end)) return false;
    if (p < end) ++p;
  }
  *count = static_cast<int>(total);
  return true;
}

}  // namespace trn
