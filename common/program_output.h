// Running a short-lived program and reading what it prints (sbatch, scontrol): the
// one place that forks for a captured output. The child is started through ChildExec
// (common/child_exec.h), so a caller with threads is safe.
#pragma once

#include <string>
#include <vector>

namespace trn {

struct ProgramOutput {
  bool started = false;  // false: no process (pipe or fork failed); `why` says so
  int status = -1;       // exit status, or 128+N when signal N ended it (127: not found)
  std::string out;       // stdout (and stderr when merged)
  std::string why;       // why it did not start

  bool ok() const { return started && status == 0; }
};

// Runs argv (argv[0] looked up on PATH) and waits for it. Its stdout is captured; its
// stderr too when `merge_stderr`, else it goes to ours (the program's own message).
ProgramOutput run_program(const std::vector<std::string>& argv, bool merge_stderr);

}  // namespace trn
