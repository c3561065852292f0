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
  PortRange parsed;
  if (dash == std::string_view::npos || !parse_port(text.substr(0, dash), &parsed.lo) ||
      !parse_port(text.substr(dash + 1), &parsed.hi) || parsed.lo > parsed.hi) {
    if (error) {
      *error = "port range '" + std::string(text) +
               "' is invalid: write LO-HI with 1024 <= LO <= HI <= 65535, e.g. 41000-41999";
    }
    return false;
  }
  *range = parsed;
  return true;
}

uint16_t derive_port(uint64_t job_id, uint64_t salt, PortRange range) {
  const uint64_t span = static_cast<uint64_t>(range.hi) - range.lo + 1;
  // The job id picks a pseudo-random start; the salt steps from it, so the uses of
  // one job (e.g. its concurrent steps) get distinct ports until the range wraps.
  return static_cast<uint16_t>(range.lo + (mix64(job_id) % span + salt % span) % span);
}

}  // namespace trn
