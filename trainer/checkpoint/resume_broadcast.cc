// restore_training_state (trainer/checkpoint/resume.h): the MPI half of a resume, apart from
// load_start_state so the unit tests link the loading without MPI. With ZeRO-1
// (trainer/model/zero1.h) each rank reads its own slice of the optimizer state.
#include <algorithm>
#include <cstdio>

#include "trainer/mpi/input_verdict.h"
#include "trainer/mpi/zero1_collectives.h"
#include "trainer/checkpoint/resume.h"
#include "trainer/model/zero1.h"

namespace trn::native {
namespace {

// Every rank's verdict on the checkpoint just read: true when all read it; else the
// Problem of the lowest rank that could not, sent to all (so rank 0 can report it and
// fall back to an older checkpoint, the others following).
bool all_read(bool ok, Problem* problem) {
  const int bad = lowest_rank_with(!ok);
  if (bad < 0) return true;
  for (std::string* text : {&problem->key, &problem->value, &problem->fix}) bcast_text(text, bad);
  return false;
}

// ZeRO-1: rank 0 loads through this reader (its own read, then everyone's), while the
// other ranks follow it: each path rank 0 proposes they read too (their slice only),
// until the empty path that ends the resume.
CheckpointReader rank0_reader(const CheckpointIdentity& id, Shard slice) {
  return [id, slice](const std::string& path, TrainState* state, Problem* problem) {
    if (!read_checkpoint(path, id, true, slice, state, problem)) return false;  // refused before the others read
    std::string proposal = path;
    bcast_text(&proposal, 0);
    return all_read(true, problem);
  };
}

void follow_rank0(const CheckpointIdentity& id, Shard slice, TrainState* state) {
  for (;;) {
    std::string path;
    bcast_text(&path, 0);
    if (path.empty()) return;
    Problem problem;
    all_read(read_checkpoint(path, id, false, slice, state, &problem), &problem);
  }
}

}  // namespace

bool restore_training_state(const Mpi& mpi, const TrainSettings& s, const ExperimentLock* held,
                            const CheckpointIdentity& id, Llama* model, AdamW* opt, StartPoint* start) {
  Problems problems;
  const size_t n = model->params().size();
  zero1_enabled(s, &problems);
  // With one rank the shard is everything: plain data parallelism is the same run.
  const bool zero1 = opt->sharded();
  if (zero1) problems = zero1_problems(n);
  if (refused_together(mpi, problems)) return false;  // every rank read the same config
  TrainState state{0, std::move(model->params()), std::move(opt->m()), std::move(opt->v()), 0};
  Problems refused;
  StartNotes notes;
  if (mpi.rank == 0) {
    refused = load_start_state(s, *held, id,
                               zero1 ? rank0_reader(id, opt->shard()) : whole_checkpoint_reader(id), &state, &notes);
    if (zero1) {
      std::string done;
      bcast_text(&done, 0);
    }
    for (const std::string& line : notes.said) std::printf("%s\n", line.c_str());
    for (const std::string& line : notes.warned) std::fprintf(stderr, "trn-train-native: warning: %s\n", line.c_str());
  } else if (zero1) {
    follow_rank0(id, opt->shard(), &state);
  }
  if (refused_together(mpi, refused, CheckedBy::kRank0)) return false;
  long long point[3] = {state.step, state.consumed_samples, notes.optimizer_reset};
  bcast_ints(point, 3);
  bcast_floats(&state.params);
  model->params() = std::move(state.params);
  if (!zero1) {
    for (auto* v : {&state.m, &state.v}) bcast_floats(v);
  } else if (point[2]) {  // model.weight_init_only: each rank's slice starts fresh too
    for (auto* v : {&state.m, &state.v}) std::fill(v->begin(), v->end(), 0.0f);
  }
  opt->m() = std::move(state.m), opt->v() = std::move(state.v);
  if (zero1 && mpi.rank == 0)
    std::printf("native: ZeRO-1: AdamW state sharded over %d ranks (%zu of %zu parameters on rank 0)\n", mpi.world,
                opt->shard().size, n);
  start->step = static_cast<int>(point[0]);
  start->consumed_samples = point[1];
  if (mpi.rank == 0 && start->step >= s.train.max_steps)
    std::printf("nothing to train: the checkpoint is at step %d, trainer.max_steps = %lld\n", start->step,
                s.train.max_steps);
  return true;
}

}  // namespace trn::native
