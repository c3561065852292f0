#include "cache/compiler_runner.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

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
    pid_t parent = ::getpid();
    pid_t pid = ::fork();
    if (pid < 0) return 127;
    if (pid == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) ::_exit(126);
      int fd = ::open(r.log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (fd >= 0) {
        ::dup2(fd, 1);
        ::dup2(fd, 2);
        ::close(fd);
      }
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      ::execvp(argv[0], argv.data());
      std::fprintf(stderr, "cannot run compiler %s: %s\n", argv[0], std::strerror(errno));
      ::_exit(127);
    }
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
