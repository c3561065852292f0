// What `run` does when its run hangs (issue 21; when, and who is to blame:
// launcher/heal/hang_watch.h). Driven from the backend's supervision (RunHealing):
//  1. progress: the native trainer's ranks publish theirs in a node-local folder made
//     here (TRN_TRAIN_PROGRESS_DIR, common/progress_record.h), read every tick; NxDT's
//     comes from its progress bar in the output (`global_step=N`), as does a
//     torchneuron script's when it prints one (its watch starts at the first such line:
//     TorchTitan prints none, and a run that never reports progress must not be called hung);
//  2. no progress for the limit: the node leaves `hang` in the run's heal folder, and every
//     node that sees it (each checks every tick) says so and dumps its ranks' stacks into
//     its log — native: SIGUSR2 to each rank's main thread (trainer/report/stack_dump.h);
//     a stopped rank gets SIGCONT kDumpGrace later, once the other nodes have dumped
//     theirs (it may end the hang), and the log says it was stopped; nxdt/torchneuron:
//     `py-spy dump` of each process of the backend's group when py-spy is installed,
//     else one line saying it is not;
//  3. a node that blames itself reports itself bad at once; after kDumpGrace (the stacks
//     reach the log meanwhile) it asks for the decision (launcher/heal/heal.h: drained,
//     requeued); node 0 asks for it as a hang, waiting blame_settle() (+ the stopped
//     ranks' answer) for the other nodes' findings first; whichever claims first decides,
//     with every finding it has;
//  4. once the decision is recorded (or no decision came for long), the backend is
//     stopped; the requeue, when there is one, ends the run anyway.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "launcher/heal/hang_watch.h"
#include "launcher/heal/heal.h"

namespace trn {

struct Plan;

class HangWatch {
 public:
  // configured: launch.hang_timeout (0: auto); decider: task 0 of the run.
  HangWatch(const Plan& p, const HealSite& site, int configured, bool decider);
  ~HangWatch();  // removes the progress folder
  HangWatch(const HangWatch&) = delete;
  HangWatch& operator=(const HangWatch&) = delete;

  // Before the backend starts: native: the progress folder, exported to it.
  void arm(int log_fd);
  // The backend's output (nxdt, torchneuron: their progress lines).
  void on_output(std::string_view chunk);
  // Every tick: true once the run is found hung and its decision made (stop the backend).
  bool on_tick();

 private:
  enum class Stage { kOff, kWatching, kDumped, kDecided };
  bool hang_found(double now);
  std::vector<RankSnapshot> snapshot() const;
  void dump_stacks(const std::vector<RankSnapshot>& ranks);
  bool decided(double now);
  void say(const std::string& line) const;

  const Plan& plan_;
  HealSite site_;
  int configured_;
  bool decider_, native_;
  Stage stage_ = Stage::kOff;
  int log_fd_ = -1;
  std::string dir_;  // the progress folder (native)
  ProgressClock clock_{0};
  NxdtStepParser parser_;
  std::optional<std::string> blame_;
  std::vector<long> stopped_;  // stopped ranks, sent SIGUSR2; SIGCONT after kDumpGrace
  double dumped_at_ = 0, decided_at_ = 0, read_at_ = 0;
};

}  // namespace trn
