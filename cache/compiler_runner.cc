#include "cache/compiler_runner.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "common/child_exec.h"

namespace trn::cache {

static std::string substitute(const std::string& word, const CompileRequest& r) {
  std::string out = word;
  for (auto [pat, val] : {std::pair<std::string, std::string>{"{in}", r.input_path}, {"{out}", r.output_path}}) {
    size_t pos;
    while ((pos = out.find(pat)) != std::string::npos) out.replace(pos, pat.size(), val);
  }
  return out;
}

CompileFn command_compiler(std::vector<std::string> argv_template) {
  return [argv_template](const CompileRequest& r) -> int {
    std::vector<std::string> args;
    for (const auto& w : argv_template) args.push_back(substitute(w, r));
    if (args.empty()) return 127;
    const std::string program = args[0];
    // Prepared here, not in the child: the caller holds lock heartbeat threads (see
    // common/child_exec.h). O_CLOEXEC: only the dup2'd copies reach the compiler.
    const ChildExec exec(std::move(args), "cannot run compiler " + program + ": ", "");
    const int log_fd = ::open(r.log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    if (pid < 0) {
      if (log_fd >= 0) ::close(log_fd);
      return 127;
    }
    if (pid == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) ::_exit(126);
      if (log_fd >= 0) {
        ::dup2(log_fd, 1);
        ::dup2(log_fd, 2);
      }
      exec.exec_or_exit();
    }
    if (log_fd >= 0) ::close(log_fd);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) {
      if (errno != EINTR) return 127;
    }
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return -WTERMSIG(status);
    return 127;
  };
}

}  // namespace trn::cache
