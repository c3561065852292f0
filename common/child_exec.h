// Running another program from a process that may have threads (the cache's lock
// heartbeats, a backend's pipe readers).
//
// Why it needs care: fork() copies only the calling thread, so any lock another
// thread held at that moment (the allocator's, stdio's) stays held forever in the
// child. glibc's malloc survives that; AddressSanitizer's allocator in Debian 12's
// GCC does not (it gained fork handlers only in LLVM 18), and a compile worker hung
// for good in CI that way. So everything the child needs (the argument vector, the
// failure message) is built before fork, and the child makes only async-signal-safe
// calls: dup2, execvp, write, _exit.
#pragma once

#include <string>
#include <vector>

namespace trn {

class ChildExec {
 public:
  // `argv` (argv[0] looked up on PATH) and what the child writes to stderr when it
  // cannot run it: before_reason + the reason (strerror text) + after_reason + "\n".
  ChildExec(std::vector<std::string> argv, std::string before_reason, std::string after_reason);
  ChildExec(const ChildExec&) = delete;
  ChildExec& operator=(const ChildExec&) = delete;

  // In the child, after fork(): replaces the process, or writes the failure message
  // and exits 127. Allocates nothing.
  [[noreturn]] void exec_or_exit() const noexcept;

 private:
  std::vector<std::string> args_;
  std::vector<char*> argv_;  // into args_, null-terminated
  std::string before_, after_;
};

}  // namespace trn
