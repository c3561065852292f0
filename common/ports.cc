#include "common/ports.h"

#include <algorithm>
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
    if (error) *error = "must be a port or a range LO-HI with 1024 <= LO <= HI <= 65535, e.g. 61000-61999";
    return false;
  }
  *range = parsed;
  return true;
}

uint16_t step_port(uint64_t job_id, uint64_t step_id, PortRange range) {
  const uint64_t span = static_cast<uint64_t>(range.hi) - range.lo + 1;
  return static_cast<uint16_t>(range.lo + (mix64(job_id) % span + step_id % span) % span);
}

bool parse_ephemeral_ports(std::string_view range_text, std::string_view reserved_text, EphemeralPorts* out) {
  EphemeralPorts e;
  // ip_local_port_range: two numbers separated by whitespace. Ports below 1024 are
  // allowed there, so parse plainly rather than with parse_port.
  unsigned lo = 0, hi = 0;
  const char* p = range_text.data();
  const char* end = p + range_text.size();
  auto skip = [&] { while (p < end && (*p == ' ' || *p == '\t' || *p == '\n')) ++p; };
  skip();
  auto r1 = std::from_chars(p, end, lo);
  p = r1.ptr;
  skip();
  auto r2 = std::from_chars(p, end, hi);
  p = r2.ptr;
  skip();
  if (r1.ec != std::errc() || r2.ec != std::errc() || p != end || lo > hi || hi > 65535) return false;
  e.range = {static_cast<uint16_t>(lo), static_cast<uint16_t>(hi)};
  // ip_local_reserved_ports: "" or a comma list of ports and LO-HI ranges.
  std::string_view rest = reserved_text;
  while (!rest.empty() && (rest.back() == '\n' || rest.back() == ' ')) rest.remove_suffix(1);
  while (!rest.empty()) {
    const auto comma = rest.find(',');
    const std::string_view item = rest.substr(0, comma);
    const auto dash = item.find('-');
    unsigned a = 0, b = 0;
    const std::string_view sa = item.substr(0, dash), sb = dash == std::string_view::npos ? sa : item.substr(dash + 1);
    auto ra = std::from_chars(sa.data(), sa.data() + sa.size(), a);
    auto rb = std::from_chars(sb.data(), sb.data() + sb.size(), b);
    if (ra.ec != std::errc() || rb.ec != std::errc() || ra.ptr != sa.data() + sa.size() ||
        rb.ptr != sb.data() + sb.size() || a > b || b > 65535)
      return false;
    e.reserved.push_back({static_cast<uint16_t>(a), static_cast<uint16_t>(b)});
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
  }
  e.known = true;
  *out = e;
  return true;
}

unsigned unreserved_ephemeral_overlap(PortRange r, const EphemeralPorts& e) {
  if (!e.known) return 0;
  unsigned n = 0;
  for (unsigned port = std::max(r.lo, e.range.lo); port <= std::min(r.hi, e.range.hi); ++port) {
    bool reserved = false;
    for (const auto& res : e.reserved) reserved = reserved || (port >= res.lo && port <= res.hi);
    n += reserved ? 0 : 1;
  }
  return n;
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
