// This rank's progress, published for its node's `trn-train run` (hang detection, issue 21):
// the record of common/progress_record.h, in a file of the folder TRN_TRAIN_PROGRESS_DIR
// names, mapped shared so each update is a plain store (no syscall: the collectives'
// phase changes come many times a step). Without the variable (the trainer run by hand,
// or by mpirun) nothing is published and every call below does nothing.
#pragma once

#include <cstdint>

#include "common/progress_record.h"

namespace trn::native {

// Maps rank.<rank> in $TRN_TRAIN_PROGRESS_DIR; a folder that cannot be used is said once
// on stderr (hang detection then sees no progress from this rank: the launcher's
// limit before the first step still applies).
void open_progress_beacon(int rank);

// The last step this rank completed.
void publish_step(long long step);

// While alive, this rank is waiting inside a collective (trainer/mpi/*); the phase before
// it comes back at the end (collectives nest: a gather inside a checkpoint's barrier).
class InCollective {
 public:
  InCollective();
  ~InCollective();
  InCollective(const InCollective&) = delete;
  InCollective& operator=(const InCollective&) = delete;

 private:
  int32_t before_;
};

// The mapped record, nullptr when none (tests read it back).
const ProgressRecord* progress_beacon();

}  // namespace trn::native
