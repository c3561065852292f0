#include "common/ports.h"

#include <charconv>

namespace trn {
namespace {

bool parse_port(std::string_view text, uint16_t* port) {
  unsigned value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end || text.empty() || value < 1024 || value > 65535) return false;
  *port = static_cast<uint16_t>(value);
  return true;
}

// splitmix64 finaliser: cheap, well mixed, stable across compilers and hosts.
uint64_t mix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace

bool parse_port_range(std::string_view text, PortRange* range, std::string* error) {
  const auto dash = text.find('-');
  const std::string_view lo = text.substr(0, dash);
  const std::string_view hi = dash == std::string_view::npos ? lo : text.substr(dash + 1);
  PortRange parsed;
  if (!parse_port(lo, &parsed.lo) || !parse_port(hi, &parsed.hi) || parsed.lo > parsed.hi) {
    if (error) *error = "must be a port or a range LO-HI with 1024 <= LO <= HI <= 65535, e.g. 41000-41999";
    return false;
  }
  *range = parsed;
  return true;
}

uint16_t step_port(uint64_t job_id, uint64_t step_id, PortRange range) {
  const uint64_t span = static_cast<uint64_t>(range.hi) - range.lo + 1;
  return static_cast<uint16_t>(range.lo + (mix64(job_id) % span + step_id % span) % span);
}

uint64_t job_number(std::string_view job_id) {
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(job_id.data(), job_id.data() + job_id.size(), v);
  if (ec == std::errc() && p == job_id.data() + job_id.size() && !job_id.empty()) return v;
  uint64_t h = 1469598103934665603ULL;  // FNV-1a
  for (unsigned char c : job_id) h = (h ^ c) * 1099511628211ULL;
  return h;
}

}  // namespace trn
