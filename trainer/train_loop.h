// The training loop, top to bottom per step: micro-batches forward/backward (the
// samples from consumed_samples, trainer/data/batch_source.h), all-reduce, clip, AdamW
// (with ZeRO-1, trainer/model/zero1.h: reduce-scatter, clip, AdamW on the shard, all-gather),
// validation every trainer.val_check_interval, the report (progress line, JSONL,
// TensorBoard: rank 0), a checkpoint every every_n_train_steps, at the end and when
// a stop signal arrived.
//
// SIGTERM, SIGINT and SIGUSR1 (scancel, Slurm's --signal before a time limit, a
// requeue) are agreed on by all ranks at the next step boundary: a checkpoint is
// written and the run exits 143, so a requeued job resumes where it stopped. The
// run is deterministic given (checkpoint, consumed_samples, rank count): nothing
// else draws random numbers, so a resumed run's losses equal an uninterrupted run's
// to every bit.
#pragma once

#include <memory>

#include "trainer/model/adamw.h"
#include "trainer/data/batch_source.h"
#include "trainer/model/llama.h"
#include "trainer/mpi/grad_allreduce.h"
#include "trainer/mpi/mpi_world.h"
#include "trainer/checkpoint/resume.h"
#include "trainer/train_settings.h"

namespace trn::native {

struct StepResult {
  float loss = 0;       // mean over micro-batches and ranks
  float grad_norm = 0;  // before clipping
};

// One step's gradients (all-reduced and clipped in model->grads()) and loss; no update.
// `overlap`: the all-reduce in buckets overlapped with backward (bucket_overlap below);
// nullptr: one all-reduce after backward.
StepResult forward_backward(const Mpi& mpi, const TrainSettings& s, Llama* model, const BatchSource& data,
                            long long consumed_samples, OverlappedAllreduce* overlap);

// The overlapped all-reduce of model->grads() that TRN_NATIVE_GRAD_BUCKET_MB asks for
// (trainer/model/grad_buckets.h; built once per run), or nullptr when it is 0.
std::unique_ptr<OverlappedAllreduce> bucket_overlap(const Mpi& mpi, Llama* model);

// A Problem when validation is asked for but the data has no held-out split.
Problems validation_problems(const TrainSettings& s, const BatchSource& data);

// Trains from `start` to trainer.max_steps. The exit code: 0, 1 (diverged or a
// checkpoint could not be written), 143 (stopped by a signal, checkpointed).
int train_loop(const Mpi& mpi, const TrainSettings& s, Llama* model, AdamW* opt, const BatchSource& data,
               const StartPoint& start);

}  // namespace trn::native
