// `run` supervises the backend instead of exec'ing it, so that the node's console
// log exists (train.sh's `| tee -a logs/<job>/<restart>/<node>/log`) and a COMPILE=1
// run can be judged by its output:
//  - the backend runs in its own process group (torchrun and all its workers), so a
//    forwarded signal reaches the whole tree whatever the step's proctrack plugin is;
//  - SIGTERM (scancel, --signal=TERM@grace), SIGUSR1 and SIGINT (srun's Ctrl-C) are
//    forwarded to that group; trn-train itself keeps running until the backend ends;
//  - its stdout and stderr go to ours unchanged (Slurm's -o/-e keep working) and,
//    appended, to the log file;
//  - the result is the backend's exit status, or 128+N when signal N killed it,
//    exactly what the shell (and so srun) would report.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace trn {

struct SuperviseResult {
  int status = 0;       // exit status, or 128+signal
  int signal = 0;       // the signal that killed the backend, 0 if it exited
};

// Starts argv (PATH searched, the current environment), tees its output to `log_fd`
// (and hands every chunk to `on_output` when set) and waits for it. The output of
// workers that outlive the backend's main process is read for a short grace only.
SuperviseResult supervise(const std::vector<std::string>& argv, int log_fd,
                          const std::function<void(std::string_view)>& on_output);

}  // namespace trn
