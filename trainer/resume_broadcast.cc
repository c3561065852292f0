// restore_training_state (trainer/resume.h): the MPI half of a resume, apart from
// load_start_state so the unit tests link the loading without MPI. With ZeRO-1
// (trainer/zero1.h) the optimizer state is scattered, each rank keeping its slice.
#include <cstdio>

#include "trainer/mpi/zero1_collectives.h"
#include "trainer/resume.h"
#include "trainer/zero1.h"

namespace trn::native {

bool restore_training_state(const Mpi& mpi, const TrainSettings& s, const CheckpointIdentity& id, Llama* model,
                            AdamW* opt, StartPoint* start) {
  Problems problems;
  const size_t n = model->params().size();
  // With one rank the shard is everything: plain data parallelism is the same run.
  const bool zero1 = zero1_enabled(s, &problems) && mpi.world > 1;
  if (zero1) problems = zero1_problems(n);
  if (report(mpi, problems)) return false;  // every rank read the same config
  TrainState state{0, std::move(model->params()), std::move(opt->m()), std::move(opt->v()), 0};
  if (zero1 && mpi.rank != 0) state.m = {}, state.v = {};  // only rank 0 reads the full state
  Problems refused;
  StartNotes notes;
  if (mpi.rank == 0) {
    refused = load_start_state(s, id, &state, &notes);
    for (const std::string& line : notes.said) std::printf("%s\n", line.c_str());
    for (const std::string& line : notes.warned) std::fprintf(stderr, "trn-train-native: warning: %s\n", line.c_str());
  }
  if (rank0_refused(mpi, refused)) return false;
  long long point[2] = {state.step, state.consumed_samples};
  bcast_ints(point, 2);
  bcast_floats(&state.params);
  model->params() = std::move(state.params);
  if (zero1) {
    // Re-sharded by this run's rank count, whatever the saving run's was.
    const std::vector<size_t> sizes = shard_sizes(n, mpi.world);
    std::vector<float> m, v;
    scatter_slices(state.m, sizes, &m);
    scatter_slices(state.v, sizes, &v);
    opt->keep_shard(shard_of(n, mpi.world, mpi.rank), std::move(m), std::move(v));
    if (mpi.rank == 0)
      std::printf("native: ZeRO-1: AdamW state sharded over %d ranks (%zu of %zu parameters on rank 0)\n", mpi.world,
                  sizes[0], n);
  } else {
    for (auto* v : {&state.m, &state.v}) bcast_floats(v);
    opt->m() = std::move(state.m), opt->v() = std::move(state.v);
  }
  start->step = static_cast<int>(point[0]);
  start->consumed_samples = point[1];
  if (mpi.rank == 0 && start->step >= s.train.max_steps)
    std::printf("nothing to train: the checkpoint is at step %d, trainer.max_steps = %lld\n", start->step,
                s.train.max_steps);
  return true;
}

}  // namespace trn::native
