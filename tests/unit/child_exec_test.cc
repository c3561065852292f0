// Between fork and exec a child may not allocate: a lock another thread held at fork
// time stays held in the child, and AddressSanitizer's allocator (Debian 12's GCC)
// then hangs it for good (a CI run lost 600 s that way). This binary replaces
// operator new so that any allocation in a forked child of this test process exits
// 86 at once: a deterministic stand-in for that hang.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <new>
#include <string>

#include "cache/compiler_runner.h"
#include "common/child_exec.h"

namespace {
const pid_t g_test_process = ::getpid();
constexpr int kAllocatedInChild = 86;
}  // namespace

void* operator new(std::size_t n) {
  if (::getpid() != g_test_process) ::_exit(kAllocatedInChild);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace {

std::string temp_dir() {
  char tmpl[] = "/tmp/trn-child-exec.XXXXXX";
  const char* d = ::mkdtemp(tmpl);
  return d ? d : "";
}

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

int run_child(const trn::ChildExec& exec) {
  const pid_t pid = ::fork();
  if (pid == 0) exec.exec_or_exit();
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(ChildExec, RunsTheProgramWithoutAllocatingInTheChild) {
  trn::ChildExec exec({"sh", "-c", "exit 3"}, "cannot run sh: ", "");
  EXPECT_EQ(run_child(exec), 3);
}

// The stand-in itself: a child that allocates is caught.
TEST(ChildExec, TheGuardCatchesAnAllocationInAChild) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    std::string allocated(1000, 'x');
    ::_exit(allocated.size() == 1000 ? 0 : 1);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  EXPECT_EQ(WEXITSTATUS(status), kAllocatedInChild);
}

TEST(ChildExec, AMissingProgramExits127AndSaysWhy) {
  const std::string dir = temp_dir();
  trn::ChildExec exec({dir + "/no-such-program"}, "trn-train: error: x: cannot run it (", "); fix: install it");
  const std::string err_path = dir + "/err";
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int fd = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ::dup2(fd, 2);
    exec.exec_or_exit();
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  EXPECT_EQ(WEXITSTATUS(status), 127);
  EXPECT_EQ(slurp(err_path), "trn-train: error: x: cannot run it (No such file or directory); fix: install it\n");
  std::remove(err_path.c_str());
  ::rmdir(dir.c_str());
}

// The cache's compiler runner forks while lock heartbeat threads run: the hang's site.
TEST(CommandCompiler, ForksWithoutAllocatingInTheChild) {
  const std::string dir = temp_dir();
  trn::cache::CompileRequest req;
  req.input_path = dir + "/in";
  req.output_path = dir + "/out";
  req.log_path = dir + "/log";
  std::ofstream(req.input_path) << "graph\n";
  const auto compile = trn::cache::command_compiler({"cp", "{in}", "{out}"});
  EXPECT_EQ(compile(req), 0) << "exit " << kAllocatedInChild << " means the child allocated";
  EXPECT_EQ(slurp(req.output_path), "graph\n");
  const auto missing = trn::cache::command_compiler({dir + "/no-compiler", "{in}"});
  EXPECT_EQ(missing(req), 127);
  EXPECT_NE(slurp(req.log_path).find("cannot run compiler " + dir + "/no-compiler: No such file or directory"),
            std::string::npos);
  for (const char* f : {"/in", "/out", "/log"}) std::remove((dir + f).c_str());
  ::rmdir(dir.c_str());
}

}  // namespace
