// `run` raises this process's soft open-file limit to the hard limit before starting
// the backend (as NxDT's train_setup.sh does with `ulimit -n 65535`): a worker with
// many NEFFs, EFA endpoints and data-loader files exceeds the usual soft 1024.
// Raising the hard limit needs root, so that is the admin's job: we warn with the fix.
#pragma once

#include <sys/resource.h>

#include <string>

namespace trn {

inline constexpr rlim_t kNeededOpenFiles = 65535;  // train_setup.sh's value

// The soft limit to set and the warning to print ("" when none), for the current
// soft/hard limits: pure, for tests.
struct FileLimitChange {
  rlim_t soft = 0;
  std::string warning;
};
FileLimitChange plan_file_limit(rlim_t soft, rlim_t hard, rlim_t needed = kNeededOpenFiles);

// Applies plan_file_limit to RLIMIT_NOFILE; returns the warning ("" when none).
std::string raise_file_limit();

}  // namespace trn
