#include "common/program_output.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/child_exec.h"

namespace trn {

ProgramOutput run_program(const std::vector<std::string>& argv, bool merge_stderr) {
  ProgramOutput r;
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    r.why = std::string("pipe: ") + std::strerror(errno);
    return r;
  }
  const ChildExec exec(argv, argv.empty() ? "" : argv[0] + ": cannot run it (", ")");
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(fds[1], 1);
    if (merge_stderr) ::dup2(fds[1], 2);
    exec.exec_or_exit();
  }
  ::close(fds[1]);
  if (pid < 0) {
    ::close(fds[0]);
    r.why = std::string("fork: ") + std::strerror(errno);
    return r;
  }
  r.started = true;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fds[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    r.out.append(buf, static_cast<size_t>(n));
  }
  ::close(fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

}  // namespace trn
