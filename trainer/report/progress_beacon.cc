#include "trainer/report/progress_beacon.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace trn::native {
namespace {

ProgressRecord* g_record = nullptr;

template <typename T>
void store(T* field, T value) {
  __atomic_store_n(field, value, __ATOMIC_RELAXED);
}

}  // namespace

void open_progress_beacon(int rank) {
  const char* dir = std::getenv(kProgressDirVariable);
  if (!dir || !*dir || g_record) return;
  const std::string path = std::string(dir) + "/" + progress_file_name(rank);
  // O_EXCL and O_NOFOLLOW: the folder is run's own (0700), a file already there is not ours.
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  void* mapped = MAP_FAILED;
  if (fd >= 0 && ::ftruncate(fd, sizeof(ProgressRecord)) == 0)
    mapped = ::mmap(nullptr, sizeof(ProgressRecord), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  const int err = errno;
  if (fd >= 0) ::close(fd);
  if (mapped == MAP_FAILED) {
    std::fprintf(stderr, "trn-train-native: warning: rank %d: cannot publish its progress in %s: %s\n", rank,
                 path.c_str(), std::strerror(err));
    return;
  }
  auto* r = static_cast<ProgressRecord*>(mapped);
  r->pid = static_cast<int32_t>(::getpid());
  r->rank = rank;
  r->step = -1;
  r->phase = static_cast<int32_t>(ProgressPhase::kStarting);
  r->version = kProgressVersion;
  __atomic_store_n(&r->magic, kProgressMagic, __ATOMIC_RELEASE);  // last: the reader skips a record without it
  g_record = r;
}

void publish_step(long long step) {
  if (g_record) store(&g_record->step, static_cast<int64_t>(step));
}

InCollective::InCollective() : before_(static_cast<int32_t>(ProgressPhase::kCompute)) {
  if (!g_record) return;
  before_ = __atomic_load_n(&g_record->phase, __ATOMIC_RELAXED);
  store(&g_record->phase, static_cast<int32_t>(ProgressPhase::kCollective));
}

InCollective::~InCollective() {
  // Whatever preceded the outermost collective, what follows it is compute.
  const auto collective = static_cast<int32_t>(ProgressPhase::kCollective);
  const int32_t after = before_ == collective ? before_ : static_cast<int32_t>(ProgressPhase::kCompute);
  if (g_record) store(&g_record->phase, after);
}

const ProgressRecord* progress_beacon() { return g_record; }

}  // namespace trn::native
