#include "launcher/commands/supervise.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>

#include "common/child_exec.h"
#include "launcher/commands/process_group.h"

namespace trn {
namespace {

constexpr int kForwarded[] = {SIGTERM, SIGUSR1, SIGINT, SIGHUP, SIGQUIT};
volatile sig_atomic_t g_backend_pgid = 0;
volatile sig_atomic_t g_received = 0;  // bit 1 << N per signal N received
volatile sig_atomic_t g_held = 0;      // the same bits: recorded, not forwarded

void forward(int sig) {
  g_received = g_received | (1 << sig);
  if (g_held & (1 << sig)) return;
  if (g_backend_pgid > 0) ::kill(-static_cast<pid_t>(g_backend_pgid), sig);
}

// Writes all of `data`; a closed console (EPIPE) is not a reason to stop the job.
void write_all(int fd, const char* data, size_t n) {
  while (n > 0) {
    const ssize_t w = ::write(fd, data, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return;
    data += w;
    n -= static_cast<size_t>(w);
  }
}

// True once `pid` has ended, leaving it a zombie (WNOWAIT): until it is reaped its
// pid stays taken, so its process group id cannot name a new group meanwhile.
bool has_ended(pid_t pid) {
  siginfo_t info{};
  return ::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == pid;
}

}  // namespace

SuperviseResult supervise(const std::vector<std::string>& argv, int log_fd, const SuperviseHooks& hooks,
                          std::chrono::milliseconds leftover_grace) {
  int out[2], err[2];
  if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) {
    std::fprintf(stderr, "trn-train: error: cannot start %s: pipe: %s\n", argv[0].c_str(), std::strerror(errno));
    return {1, 0, 0};
  }
  ::signal(SIGPIPE, SIG_IGN);
  g_received = 0;
  int held = 0;
  for (int s : hooks.held) held |= 1 << s;
  g_held = held;
  struct sigaction sa {};
  sa.sa_handler = forward;
  sigemptyset(&sa.sa_mask);
  sigset_t block, old;
  sigemptyset(&block);
  std::vector<int> forwarded;
  for (int s : kForwarded) {
    struct sigaction cur {};
    ::sigaction(s, nullptr, &cur);
    if (cur.sa_handler == SIG_IGN) continue;  // nohup: the backend inherits the ignoring
    ::sigaction(s, &sa, nullptr);
    sigaddset(&block, s);
    forwarded.push_back(s);
  }
  const ChildExec exec(argv, "trn-train: error: " + argv[0] + ": cannot run it (",
                       "); is it installed and on PATH?");
  // Blocked across fork: a signal arriving now is delivered (and forwarded) once the
  // backend's group exists, and never runs our handler in the child.
  ::sigprocmask(SIG_BLOCK, &block, &old);
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::setpgid(0, 0);
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    for (int s : forwarded) ::sigaction(s, &dfl, nullptr);
    ::signal(SIGPIPE, SIG_DFL);
    ::sigprocmask(SIG_SETMASK, &old, nullptr);
    ::dup2(out[1], 1);
    ::dup2(err[1], 2);
    exec.exec_or_exit();
  }
  if (pid < 0) {
    ::sigprocmask(SIG_SETMASK, &old, nullptr);
    std::fprintf(stderr, "trn-train: error: cannot start %s: fork: %s\n", argv[0].c_str(), std::strerror(errno));
    return {1, 0, 0};
  }
  ::setpgid(pid, pid);  // also here, so the group exists before the first forward
  g_backend_pgid = pid;
  ::sigprocmask(SIG_SETMASK, &old, nullptr);
  ::close(out[1]);
  ::close(err[1]);

  struct pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
  const int console[2] = {1, 2};
  int open_pipes = 2;
  std::optional<GroupStop> leftover;  // set once the backend has ended
  std::optional<std::chrono::steady_clock::time_point> group_gone_at;
  std::optional<std::chrono::steady_clock::time_point> stopped_at;
  char buf[65536];
  while (open_pipes > 0) {
    if (!leftover && !stopped_at && hooks.on_tick && hooks.on_tick(static_cast<unsigned>(g_received))) {
      stopped_at = std::chrono::steady_clock::now();
      ::kill(-pid, SIGTERM);  // its group; SIGCONT so that a stopped process gets it too
      ::kill(-pid, SIGCONT);
    }
    // A backend that ignores the TERM (a rank stuck in the kernel) is killed after the grace.
    if (!leftover && stopped_at && std::chrono::steady_clock::now() - *stopped_at > leftover_grace) ::kill(-pid, SIGKILL);
    // The backend's group is stopped while its pipes are still read: its last lines count.
    if (!leftover && has_ended(pid)) leftover.emplace(pid, leftover_grace);
    if (leftover && !group_gone_at && leftover->step()) group_gone_at = std::chrono::steady_clock::now();
    // Processes that left the group may hold the pipes: read them a little longer, not forever.
    if (group_gone_at && std::chrono::steady_clock::now() - *group_gone_at > std::chrono::seconds(2)) break;
    const int n = ::poll(fds, 2, leftover ? 50 : 200);
    if (n < 0 && errno != EINTR) break;
    for (int k = 0; n > 0 && k < 2; ++k) {
      if (fds[k].fd < 0 || !(fds[k].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      const ssize_t r = ::read(fds[k].fd, buf, sizeof buf);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) {
        ::close(fds[k].fd);
        fds[k].fd = -1;
        --open_pipes;
        continue;
      }
      write_all(console[k], buf, static_cast<size_t>(r));
      if (log_fd >= 0) write_all(log_fd, buf, static_cast<size_t>(r));
      if (hooks.on_output) hooks.on_output(std::string_view(buf, static_cast<size_t>(r)));
    }
  }
  for (auto& f : fds)
    if (f.fd >= 0) ::close(f.fd);
  // The pipes are closed, by the group or by leftovers that closed their output.
  while (!leftover && !has_ended(pid)) {
    siginfo_t info{};
    if (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOWAIT) != 0 && errno != EINTR) break;
  }
  if (!leftover) leftover.emplace(pid, leftover_grace);
  while (!leftover->step()) ::poll(nullptr, 0, 50);
  g_backend_pgid = 0;  // before the reap frees the group's id for reuse
  int wstatus = 0;
  while (::waitpid(pid, &wstatus, 0) != pid && errno == EINTR) {
  }
  SuperviseResult result{WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 1, 0, leftover->found()};
  if (WIFSIGNALED(wstatus)) result = {128 + WTERMSIG(wstatus), WTERMSIG(wstatus), leftover->found()};
  result.received = static_cast<unsigned>(g_received);
  result.stopped = stopped_at.has_value();
  if (const std::string line = leftover->report(); !line.empty()) {
    write_all(2, line.data(), line.size());
    if (log_fd >= 0) write_all(log_fd, line.data(), line.size());
  }
  return result;
}

}  // namespace trn
