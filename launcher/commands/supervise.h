// `run` supervises the backend instead of exec'ing it, so that the node's console
// log exists (train.sh's `| tee -a logs/<job>/<restart>/<node>/log`) and a COMPILE=1
// run can be judged by its output:
//  - the backend runs in its own process group (torchrun and all its workers), so a
//    forwarded signal reaches the whole tree whatever the step's proctrack plugin is;
//  - SIGTERM (scancel, --signal=TERM@grace), SIGUSR1, SIGINT (srun's Ctrl-C), SIGHUP (a
//    closed terminal or ssh session) and SIGQUIT are forwarded to that group, so the
//    backend can checkpoint; trn-train itself keeps running until the backend ends,
//    and a closed console (SIGPIPE) does not stop it. A signal ignored when trn-train
//    started (nohup) stays ignored, by both;
//  - its stdout and stderr go to ours unchanged (Slurm's -o/-e keep working) and,
//    appended, to the log file;
//  - when the backend's main process has ended, what is left of its group (the workers
//    of an OOM-killed torchrun) is stopped: SIGTERM, SIGKILL after a grace period
//    (launcher/commands/process_group.h), and a line on stderr and in the log says so;
//  - the result is the backend's exit status, or 128+N when signal N killed it,
//    exactly what the shell (and so srun) would report.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace trn {

struct SuperviseResult {
  int status = 0;       // exit status, or 128+signal
  int signal = 0;       // the signal that killed the backend, 0 if it exited
  int leftover = 0;     // processes of its group still running when it ended (-1: some, uncounted)
  unsigned received = 0;  // the forwarded (or held) signals that reached trn-train: bit 1 << N
  bool stopped = false;   // on_tick asked to stop the backend
};

// What the caller watches while the backend runs (all optional).
struct SuperviseHooks {
  std::function<void(std::string_view)> on_output;  // every chunk of its output, as read
  // About every 200 ms, with the signals received so far (bit 1 << N): true stops the
  // backend (SIGTERM to its group, SIGKILL after the leftover grace). Hang detection and
  // the time-limit requeue live here (launcher/heal/).
  std::function<bool(unsigned received)> on_tick;
  // Signals recorded but not forwarded: `run` acts on them itself (SIGUSR1, the
  // time-limit warning, for backends that have no use for it).
  std::vector<int> held;
};

// How long what is left of the backend's group gets between SIGTERM and SIGKILL.
inline constexpr std::chrono::milliseconds kLeftoverGrace{10000};

// Starts argv (PATH searched, the current environment), tees its output to `log_fd`
// (handing every chunk to hooks.on_output) and waits for it, then stops what is left of
// its process group. Output of processes that escaped the group and outlive the
// backend is read for a short grace only.
SuperviseResult supervise(const std::vector<std::string>& argv, int log_fd, const SuperviseHooks& hooks,
                          std::chrono::milliseconds leftover_grace = kLeftoverGrace);

}  // namespace trn
