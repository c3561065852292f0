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
#include <vector>

namespace trn {

struct PortRange {
  uint16_t lo = 0;
  uint16_t hi = 0;
};

// The default ranges, in one place. The master range is configured in the site file
// (ports.master) or the config (launch.ports.master); the root-comm range belongs to
// whoever sets NEURON_RT_ROOT_COMM_ID: the SPANK plugin (plugstack
// root_comm_port_range), else the launcher with this default.
// Both lie above Linux's default ephemeral range (net.ipv4.ip_local_port_range
// 32768-60999), so a busy node never hands one to an outgoing connection, and below
// 65535; they are 1000 ports apart, disjoint, and avoid the ports today's scripts
// hard-code (62182 for the root comm id, 41000, 48620) and well-known services there
// (none registered in 61000-61999 or 63000-63999 that a training node runs).
inline constexpr PortRange kDefaultMasterPorts{61000, 61999};
inline constexpr PortRange kDefaultRootCommPorts{63000, 63999};

// Parses "LO-HI" or a single port "P" (1024 <= LO <= HI <= 65535). Returns false and
// fills *error with what is accepted on malformed input. Never throws.
bool parse_port_range(std::string_view text, PortRange* range, std::string* error);

// The port step `step_id` of job `job_id` uses in `range`: the one derivation that
// the plugin (root-comm id) and the launcher (master port, and root-comm id without
// the plugin) share, so every task of a step agrees without talking. A 64-bit mix of
// the job id spreads neighbouring jobs over the range and the step id steps from
// there, so concurrent steps of one job get distinct ports until the range wraps.
uint16_t step_port(uint64_t job_id, uint64_t step_id, PortRange range);

// A job id as a number: decimal Slurm ids as they are, anything else (AWS Batch,
// torchrun run ids) hashed, so step_port accepts every launcher's job id.
uint64_t job_number(std::string_view job_id);

// The node's ephemeral port range and the ports reserved from it (the sysctls
// net.ipv4.ip_local_port_range and ip_local_reserved_ports). `known` is false when
// they could not be read: then nothing is claimed about overlap.
struct EphemeralPorts {
  bool known = false;
  PortRange range{32768, 60999};
  std::vector<PortRange> reserved;
};

// Parses the two /proc files' texts ("32768\t60999", "41000-41999,50000"). False on
// malformed text (the caller then treats the facts as unknown).
bool parse_ephemeral_ports(std::string_view range_text, std::string_view reserved_text, EphemeralPorts* out);

// How many ports of `r` an outgoing connection may take: inside the ephemeral range
// and not reserved. 0 means the range is safe.
unsigned unreserved_ephemeral_overlap(PortRange r, const EphemeralPorts& e);

}  // namespace trn
