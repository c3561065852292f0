// Hashes one file through cache/checksum.h's sha256_fd, the call `trn-train cache verify`
// makes for every artifact (cache/entry_check.cc), and prints its speed. Uses only what
// every version of cache/checksum.h offers, so bench/checksum_bench.sh can build it
// against today's libcrypto checksum and against the portable SHA-256 it replaced.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <time.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "cache/checksum.h"

// This process's CPU time: on a shared machine the figure that other load disturbs least.
static double cpu_seconds() {
  timespec t{};
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return double(t.tv_sec) + double(t.tv_nsec) / 1e9;
}

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: checksum_bench FILE REPEAT\n");
    return 2;
  }
  const int repeat = std::atoi(argv[2]);
  double best = 0, best_cpu = 0;
  std::string hex;
  uint64_t size = 0;
  for (int i = 0; i < repeat; ++i) {
    const int fd = ::open(argv[1], O_RDONLY | O_CLOEXEC);
    struct stat st {};
    if (fd < 0 || ::fstat(fd, &st) != 0) {
      std::perror(argv[1]);
      return 1;
    }
    std::string err;
    const auto t0 = std::chrono::steady_clock::now();
    const double c0 = cpu_seconds();
    const bool ok = trn::cache::sha256_fd(fd, uint64_t(st.st_size), &hex, &size, &err);
    const double cpu = cpu_seconds() - c0;
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    ::close(fd);
    if (!ok) {
      std::fprintf(stderr, "%s: %s\n", argv[1], err.c_str());
      return 1;
    }
    if (i == 0 || s < best) best = s;
    if (i == 0 || cpu < best_cpu) best_cpu = cpu;
  }
  // One line for the script: bytes, best wall seconds, best CPU seconds, digest.
  std::printf("%llu %.3f %.3f %s\n", static_cast<unsigned long long>(size), best, best_cpu, hex.c_str());
  return 0;
}
