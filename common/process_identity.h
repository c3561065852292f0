// Who this process is, as recorded in lock files and failure records.
//
// Why a token: on a real cluster the host name tells owners apart, but the
// emulated nodes of tests/cluster/localslurm share one host (and containers
// can share host names), so host+pid can collide. The Slurm node name is used
// when present and a random per-process token disambiguates the rest. Liveness
// is never judged by kill(pid, 0): the owner may be on another host.
#pragma once

#include <cstdint>
#include <string>

namespace trn {

struct ProcessIdentity {
  std::string host;   // SLURMD_NODENAME, else gethostname()
  long pid = 0;
  std::string job;    // "<SLURM_JOB_ID>.<SLURM_STEP_ID>" or "-"
  std::string token;  // 16 random hex chars, unique per process
  static const ProcessIdentity& self();
};

// Process-wide increasing counter for unique temp names.
uint64_t unique_counter();
// Wall-clock seconds (for records) and monotonic seconds (for timeouts).
double wall_seconds();
double mono_seconds();

}  // namespace trn
