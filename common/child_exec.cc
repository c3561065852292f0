#include "common/child_exec.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace trn {

ChildExec::ChildExec(std::vector<std::string> argv, std::string before_reason, std::string after_reason)
    : args_(std::move(argv)), before_(std::move(before_reason)), after_(std::move(after_reason)) {
  for (auto& a : args_) argv_.push_back(a.data());
  argv_.push_back(nullptr);
}

static void write_text(const char* s, size_t n) {
  while (n > 0) {
    const ssize_t w = ::write(2, s, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return;
    s += w;
    n -= size_t(w);
  }
}

void ChildExec::exec_or_exit() const noexcept {
  if (argv_[0] != nullptr) ::execvp(argv_[0], argv_.data());
  // strerrordesc_np: a constant string, unlike strerror (which may format into a
  // buffer for unknown codes and reads the locale).
  const char* reason = argv_[0] == nullptr ? "empty command" : ::strerrordesc_np(errno);
  if (reason == nullptr) reason = "unknown error";
  write_text(before_.data(), before_.size());
  write_text(reason, std::strlen(reason));
  write_text(after_.data(), after_.size());
  write_text("\n", 1);
  ::_exit(127);
}

}  // namespace trn
