#include "common/process_identity.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <random>

namespace trn {

const ProcessIdentity& ProcessIdentity::self() {
  // Re-computed after fork(): a child must not share its parent's token.
  static ProcessIdentity id;
  static long for_pid = 0;
  long pid = long(::getpid());
  if (for_pid != pid) {
    const char* node = std::getenv("SLURMD_NODENAME");
    if (node && *node) {
      id.host = node;
    } else {
      char buf[256] = {0};
      ::gethostname(buf, sizeof(buf) - 1);
      id.host = buf;
    }
    id.pid = pid;
    const char* job = std::getenv("SLURM_JOB_ID");
    const char* step = std::getenv("SLURM_STEP_ID");
    id.job = job ? std::string(job) + (step ? std::string(".") + step : "") : "-";
    std::random_device rd;
    std::mt19937_64 rng((uint64_t(rd()) << 32) ^ rd() ^ uint64_t(pid) ^
                        uint64_t(std::chrono::steady_clock::now().time_since_epoch().count()));
    static const char* hex = "0123456789abcdef";
    id.token.clear();
    uint64_t v = rng();
    for (int i = 0; i < 16; ++i) id.token.push_back(hex[(v >> (4 * i)) & 0xf]);
    for_pid = pid;
  }
  return id;
}

uint64_t unique_counter() {
  static std::atomic<uint64_t> n{0};
  return ++n;
}

double wall_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

double mono_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace trn
