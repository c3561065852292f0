#include "trainer/report/whole_records.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace trn::native {

WholeRecordFile::~WholeRecordFile() {
  if (fd_ < 0) return;
  ::close(fd_);
  if (missing_ > 0)
    std::fprintf(stderr, "trn-train-native: warning: %s is incomplete: %lld of %lld %s could not be written, the "
                 "first at step %lld (%s)\n", path_.c_str(), missing_, records_, unit_.c_str(), first_missing_step_,
                 first_error_.c_str());
}

std::string WholeRecordFile::open(const std::string& path) {
  path_ = path;
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  return fd_ >= 0 ? "" : "cannot open " + path + ": " + std::strerror(errno);
}

void WholeRecordFile::append(std::string_view record, long long step) {
  if (fd_ < 0) return;
  ++records_;
  if (stopped_) return failed(0, step);
  struct stat st;
  if (::fstat(fd_, &st) != 0) return failed(errno, step);
  // One write when the filesystem takes it; a short write (the disk filled mid-record)
  // is continued to learn why it stopped, then taken back.
  size_t done = 0;
  while (done < record.size()) {
    const ssize_t n = ::write(fd_, record.data() + done, record.size() - done);
    if (n > 0) {
      done += static_cast<size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      const int err = n < 0 ? errno : EIO;
      if (done > 0 && ::ftruncate(fd_, st.st_size) != 0) stopped_ = true;
      return failed(err, step);
    }
  }
}

void WholeRecordFile::failed(int err, long long step) {
  if (missing_++ > 0) return;
  first_missing_step_ = step;
  first_error_ = std::strerror(err ? err : EIO);
  std::fprintf(stderr, "trn-train-native: warning: cannot write %s to %s: %s (step %lld); training goes on, that "
               "file misses the %s that cannot be written\n", what_.c_str(), path_.c_str(), first_error_.c_str(), step,
               unit_.c_str());
}

}  // namespace trn::native
