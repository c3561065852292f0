// Deterministic per-job port selection shared by the launcher and the SPANK plugin.
//
// Why: today's scripts hard-code 41000 / 62182 / 48620, so two jobs sharing a node
// collide, and `62000+$RANDOM` can exceed 65535. Every task of a job must agree on
// the port without talking to each other, so the port is a pure function of ids
// that every task sees (job id, step id) mapped into an admin-configured range.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace trn {

struct PortRange {
  uint16_t lo = 0;
  uint16_t hi = 0;
};

// Parses "LO-HI" (1024 <= LO <= HI <= 65535). Returns false and fills *error
// (naming the value and the fix) on malformed input. Never throws.
bool parse_port_range(std::string_view text, PortRange* range, std::string* error);

// A port in [range.lo, range.hi] chosen from (job_id, salt): a 64-bit mix of the job
// id spreads neighbouring jobs over the range, and `salt` is added to it, so the uses
// inside one job (e.g. step ids 0, 1, 2...) get distinct ports as long as there are
// fewer of them than ports in the range. Same inputs give the same port.
uint16_t derive_port(uint64_t job_id, uint64_t salt, PortRange range);

}  // namespace trn
