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

// The default ranges, in one place. The master range is configured in the site file
// (ports.master) or the config (launch.ports.master); the root-comm range belongs to
// whoever sets NEURON_RT_ROOT_COMM_ID: the SPANK plugin (plugstack
// root_comm_port_range), else the launcher with this default.
inline constexpr PortRange kDefaultMasterPorts{41000, 41999};
inline constexpr PortRange kDefaultRootCommPorts{46000, 46999};

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

}  // namespace trn
