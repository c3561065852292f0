#include "cache/record_fields.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <string>

namespace trn::cache {

bool parse_u64_field(std::string_view text, uint64_t* out) {
  if (text.empty() || text[0] < '0' || text[0] > '9') return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && end == text.data() + text.size();
}

bool parse_int_field(std::string_view text, long long lo, long long hi, long long* out) {
  long long v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || v < lo || v > hi) return false;
  *out = v;
  return true;
}

bool parse_finite_field(std::string_view text, double* out) {
  if (text.empty() || text.size() > 64) return false;
  const std::string copy(text);  // strtod needs a terminated string
  char* end = nullptr;
  double v = std::strtod(copy.c_str(), &end);
  if (end != copy.c_str() + copy.size() || !std::isfinite(v)) return false;
  *out = v;
  return true;
}

}  // namespace trn::cache
