#include "trainer/report/metrics_jsonl.h"

#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>

namespace trn::native {

std::string metrics_json(const StepMetrics& m, bool train, double wall_time) {
  nlohmann::ordered_json j;
  j["step"] = m.step;
  if (train) {
    j["epoch"] = m.epoch;
    j["consumed_samples"] = m.consumed_samples;
    j["reduced_train_loss"] = m.reduced_train_loss;
    j["loss"] = m.loss;
    j["lr"] = m.lr;
    j["grad_norm"] = m.grad_norm;
    j["parameter_norm"] = m.parameter_norm;
    j["throughput"] = m.seq_per_s;
    j["tokens_per_sec"] = m.tokens_per_s;
    j["elapsed_s"] = m.elapsed_s;
  }
  if (!std::isnan(m.val_loss)) j["val_loss"] = m.val_loss;
  j["wall_time"] = wall_time;
  return j.dump();
}

MetricsJsonl::~MetricsJsonl() {
  if (fd_ < 0) return;
  ::close(fd_);
  if (missing_ > 0)
    std::fprintf(stderr, "trn-train-native: warning: %s is incomplete: %lld of %lld lines could not be written, the "
                 "first at step %lld (%s)\n", path_.c_str(), missing_, lines_, first_missing_step_,
                 first_error_.c_str());
}

std::string MetricsJsonl::open(const std::string& path) {
  path_ = path;
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  return fd_ >= 0 ? "" : "cannot open " + path + ": " + std::strerror(errno);
}

void MetricsJsonl::add(const StepMetrics& m, bool train) {
  if (fd_ < 0) return;
  ++lines_;
  if (stopped_) return failed(0, m.step);
  const double now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  const std::string line = metrics_json(m, train, now) + "\n";
  struct stat st;
  if (::fstat(fd_, &st) != 0) return failed(errno, m.step);
  // Appended in one write when the filesystem takes it; a short write (the disk filled
  // mid-line) is continued to learn why it stopped, then taken back.
  size_t done = 0;
  while (done < line.size()) {
    const ssize_t n = ::write(fd_, line.data() + done, line.size() - done);
    if (n > 0) {
      done += static_cast<size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      const int err = n < 0 ? errno : EIO;
      if (done > 0 && ::ftruncate(fd_, st.st_size) != 0) stopped_ = true;
      return failed(err, m.step);
    }
  }
}

void MetricsJsonl::failed(int err, long long step) {
  if (missing_++ > 0) return;
  first_missing_step_ = step;
  first_error_ = std::strerror(err ? err : EIO);
  std::fprintf(stderr, "trn-train-native: warning: cannot write metrics to %s: %s (step %lld); training goes on, "
               "that file misses the lines that cannot be written\n", path_.c_str(), first_error_.c_str(), step);
}

}  // namespace trn::native
