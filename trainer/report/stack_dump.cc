#include "trainer/report/stack_dump.h"

#include <execinfo.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>

#include "common/process_identity.h"

namespace trn::native {
namespace {

constexpr int kMaxFrames = 64;
char g_header[320];
char g_footer[96];
int g_header_len = 0, g_footer_len = 0;

void write_all(const char* s, int n) {
  while (n > 0) {
    const ssize_t w = ::write(STDERR_FILENO, s, static_cast<size_t>(n));
    if (w <= 0 && errno != EINTR) return;
    if (w > 0) s += w, n -= static_cast<int>(w);
  }
}

void on_stack_signal(int) {
  const int saved = errno;
  void* frames[kMaxFrames];
  write_all(g_header, g_header_len);
  backtrace_symbols_fd(frames, backtrace(frames, kMaxFrames), STDERR_FILENO);
  write_all(g_footer, g_footer_len);
  errno = saved;
}

int clamp(int n, size_t size) { return n < 0 ? 0 : n >= static_cast<int>(size) ? static_cast<int>(size) - 1 : n; }

}  // namespace

void install_stack_dump(int rank) {
  const ProcessIdentity& me = ProcessIdentity::self();
  g_header_len = clamp(std::snprintf(g_header, sizeof g_header, "trn-train-native: stack of rank %d (pid %ld) on %s:\n",
                                     rank, me.pid, me.host.c_str()),
                       sizeof g_header);
  g_footer_len =
      clamp(std::snprintf(g_footer, sizeof g_footer, "trn-train-native: end of the stack of rank %d\n", rank),
            sizeof g_footer);
  void* warm[1];
  backtrace(warm, 1);  // loads the unwinder now, not in the handler
  struct sigaction sa {};
  sa.sa_handler = on_stack_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  ::sigaction(SIGUSR2, &sa, nullptr);
}

}  // namespace trn::native
