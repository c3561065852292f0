#include "launcher/commands/process_group.h"

#include <dirent.h>
#include <signal.h>

#include <cstdio>
#include <string>

namespace trn {

int running_in_group(pid_t pgid) {
  DIR* proc = ::opendir("/proc");
  if (!proc) return -1;
  int n = 0;
  while (const struct dirent* e = ::readdir(proc)) {
    if (e->d_name[0] < '1' || e->d_name[0] > '9') continue;
    const std::string path = std::string("/proc/") + e->d_name + "/stat";
    FILE* f = std::fopen(path.c_str(), "re");
    if (!f) continue;  // it ended meanwhile
    char buf[1024];
    const size_t len = std::fread(buf, 1, sizeof buf - 1, f);
    std::fclose(f);
    buf[len] = '\0';
    // "pid (comm) state ppid pgrp ...": comm may hold anything, ')' included.
    const std::string stat(buf);
    const size_t close = stat.rfind(')');
    char state = 0;
    int ppid = 0, pgrp = 0;
    if (close == std::string::npos || std::sscanf(stat.c_str() + close + 1, " %c %d %d", &state, &ppid, &pgrp) != 3)
      continue;
    if (pgrp == pgid && state != 'Z' && state != 'X') ++n;
  }
  ::closedir(proc);
  return n;
}

GroupStop::GroupStop(pid_t pgid, std::chrono::milliseconds grace)
    : pgid_(pgid), grace_(grace), started_(std::chrono::steady_clock::now()) {
  found_ = running_in_group(pgid);
  // Without /proc: whatever is there (kill(2) also counts zombies, so no number).
  if (found_ < 0 && ::kill(-pgid, 0) != 0) found_ = 0;
  if (found_ == 0) {
    done_ = true;
    return;
  }
  ::kill(-pgid, SIGTERM);
}

bool GroupStop::step() {
  if (done_) return true;
  const auto now = std::chrono::steady_clock::now();
  const int left = found_ < 0 ? (::kill(-pgid_, 0) == 0 ? 1 : 0) : running_in_group(pgid_);
  if (left == 0) return done_ = true;
  if (killed_ == 0 && now - started_ >= grace_) {
    killed_ = left;
    killed_at_ = now;
    ::kill(-pgid_, SIGKILL);
  } else if (killed_ > 0 && now - killed_at_ >= std::chrono::seconds(1)) {
    return done_ = true;
  }
  return false;
}

std::string GroupStop::report() const {
  if (found_ == 0) return "";
  const std::string n = found_ < 0 ? "some" : std::to_string(found_);
  std::string line = "trn-train: " + n + (found_ == 1 ? " process" : " processes") +
                     " of the backend's process group " + (found_ == 1 ? "was" : "were") +
                     " still running after the backend ended; stopped (SIGTERM)";
  if (killed_ > 0) {
    const long long ms = grace_.count();
    line += ", " + (found_ < 0 ? std::string("some") : std::to_string(killed_)) + " ignored it for " +
            (ms % 1000 == 0 ? std::to_string(ms / 1000) + " s" : std::to_string(ms) + " ms") + " and " +
            (killed_ == 1 ? "was" : "were") + " killed (SIGKILL)";
  }
  return line + "\n";
}

}  // namespace trn
