#include "trainer/train_loop.h"

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <deque>

#include "trainer/checkpoint/checkpoint.h"
#include "trainer/model/threads.h"
#include "trainer/report/metrics_jsonl.h"
#include "trainer/mpi/grad_allreduce.h"
#include "trainer/mpi/input_verdict.h"
#include "trainer/mpi/zero1_collectives.h"
#include "trainer/report/progress_beacon.h"
#include "trainer/report/progress_line.h"
#include "trainer/report/tensorboard_events.h"

namespace trn::native {
namespace {

volatile std::sig_atomic_t g_stop = 0;
void on_stop_signal(int) { g_stop = 1; }

constexpr int kLossWindow = 20;  // Lightning's running "loss" in the progress bar

int micro_batch(const TrainSettings& s) { return static_cast<int>(s.train.micro_batch_size); }

// trainer.val_check_interval: whole = every N steps, a fraction = of max_steps, 0 = never.
long long validation_every(const config::TrainingConfig& t) {
  const double v = t.val_check_interval;
  if (v <= 0) return 0;
  return v < 1 ? std::max(1LL, std::llround(v * static_cast<double>(t.max_steps))) : static_cast<long long>(v);
}

// trainer.limit_val_batches: whole = micro-batches per rank, a fraction = of the held-out split.
long long validation_batches(const TrainSettings& s, const BatchSource& data, int world) {
  const double l = s.train.limit_val_batches;
  if (l <= 0) return 0;
  if (l >= 1) return static_cast<long long>(l);
  const double available = static_cast<double>(data.samples(Split::kValidation)) / (micro_batch(s) * world);
  return std::max(1LL, static_cast<long long>(std::ceil(l * available)));
}

// The mean loss over the same held-out samples every time (no gradients kept).
float validation_loss(const Mpi& mpi, const TrainSettings& s, Llama* model, const BatchSource& data,
                      long long batches) {
  std::vector<int> tokens, targets;
  double sum = 0;
  for (long long b = 0; b < batches; ++b) {
    if (auto broken = data.rows(Split::kValidation,
                                first_sample(0, static_cast<int>(b), mpi.world, mpi.rank, micro_batch(s)),
                                micro_batch(s), s.shape.seq_length, &tokens, &targets))
      stop_all(mpi, *broken);
    sum += model->forward(tokens.data(), targets.data());
  }
  return allreduce_mean(static_cast<float>(sum / static_cast<double>(batches)), mpi);
}

// This rank's micro-batches: their gradients in model->grads(), their mean loss.
// `last_ready` hears the gradient ranges the last micro-batch's backward finalises
// (the earlier micro-batches only accumulate).
float local_forward_backward(const Mpi& mpi, const TrainSettings& s, Llama* model, const BatchSource& data,
                             long long consumed_samples, const Llama::GradsReady& last_ready = nullptr) {
  const int mbs = micro_batch(s);
  const int accum = static_cast<int>(s.train.global_batch_size / (mbs * mpi.world));
  std::vector<int> tokens, targets;
  model->zero_grad();
  float loss = 0.0f;
  for (int micro = 0; micro < accum; ++micro) {
    if (auto broken = data.rows(Split::kTrain, first_sample(consumed_samples, micro, mpi.world, mpi.rank, mbs), mbs,
                                s.shape.seq_length, &tokens, &targets))
      stop_all(mpi, *broken);
    loss += model->forward(tokens.data(), targets.data()) / accum;
    if (micro == accum - 1) model->on_grads_ready(last_ready);
    model->backward(1.0f / accum);
  }
  model->on_grads_ready(nullptr);
  return loss;
}

// ZeRO-1's forward_backward: *shard_grads = this rank's slice of the mean gradients,
// clipped by the norm of all of them. One reduce-scatter after backward: it is not
// overlapped with backward in buckets as forward_backward's all-reduce is.
StepResult zero1_forward_backward(const Mpi& mpi, const TrainSettings& s, Llama* model, const BatchSource& data,
                                  long long consumed_samples, const std::vector<size_t>& sizes,
                                  std::vector<float>* shard_grads) {
  const float loss = local_forward_backward(mpi, s, model, data, consumed_samples);
  reduce_scatter_sum(model->grads(), sizes, shard_grads);
  for (float& x : *shard_grads) x /= mpi.world;
  StepResult r;
  r.loss = allreduce_mean(loss, mpi);
  r.grad_norm = static_cast<float>(std::sqrt(allreduce_sum(squared_sum(shard_grads->data(), shard_grads->size()))));
  clip_to_norm(*shard_grads, r.grad_norm, static_cast<float>(s.train.gradient_clip_val));
  return r;
}

// The checkpoint of the state now. Without ZeRO-1 rank 0 writes one file; with it
// every rank writes its shard at the same time, and rank 0 publishes the manifest
// once all are durable (trainer/checkpoint/checkpoint_shards.h). "" or the error (rank 0's).
std::string save_state(const Mpi& mpi, const TrainSettings& s, const CheckpointIdentity& identity, Llama* model,
                       AdamW* opt, int step, long long consumed) {
  const std::string& dir = s.exp.checkpoint_dir;
  if (opt->sharded()) {
    ShardRecord record;
    const std::string err = save_shard(dir, step, mpi.rank, mpi.world, opt->shard(), model->params().data(),
                                       opt->m().data(), opt->v().data(), &record);
    // The barrier: rank 0 hears from every rank that its shard is committed (or why not).
    const std::vector<std::string> reports = gather_text(err.empty() ? shard_record_text(record) : "!" + err);
    if (mpi.rank != 0) return "";
    std::vector<ShardRecord> records(reports.size());
    for (size_t r = 0; r < reports.size(); ++r)
      if (!read_shard_record(reports[r], model->params().size(), &records[r]))
        return "rank " + std::to_string(r) + ": " + reports[r].substr(1) + "; no checkpoint of step " +
               std::to_string(step) + " was published";
    return save_manifest(dir, identity, step, consumed, records, s.train.save_top_k);
  }
  if (mpi.rank != 0) return "";
  TrainState st{step, std::move(model->params()), std::move(opt->m()), std::move(opt->v()), consumed};
  const std::string err = save_checkpoint(dir, identity, st, s.train.save_top_k);
  model->params() = std::move(st.params);
  opt->m() = std::move(st.m), opt->v() = std::move(st.v);
  return err;
}

// Rank 0's report of the run: the progress line, metrics.jsonl, TensorBoard events.
class Report {
 public:
  explicit Report(const TrainSettings& s) : progress_(::isatty(STDOUT_FILENO) == 1) {
    for (std::string err : {jsonl_.open(s.exp.log_dir + "/metrics.jsonl"),
                            s.train.create_tensorboard_logger ? tb_.open(s.exp.log_dir) : std::string()})
      if (!err.empty()) std::fprintf(stderr, "trn-train-native: warning: %s; metrics not recorded there\n", err.c_str());
  }
  void step(StepMetrics* m, bool log_step) {
    recent_.push_back(m->reduced_train_loss);
    if (recent_.size() > kLossWindow) recent_.pop_front();
    double sum = 0;
    for (double x : recent_) sum += x;
    m->loss = sum / static_cast<double>(recent_.size());
    progress_.step(*m, log_step);
    if (log_step) {
      jsonl_.add(*m, true);
      Scalars scalars{{"reduced_train_loss", static_cast<float>(m->reduced_train_loss)},
                      {"lr", static_cast<float>(m->lr)},
                      {"grad_norm", static_cast<float>(m->grad_norm)},
                      {"parameter_norm", static_cast<float>(m->parameter_norm)},
                      {"throughput", static_cast<float>(m->seq_per_s)},
                      {"consumed_samples", static_cast<float>(m->consumed_samples)}};
      if (!std::isnan(m->val_loss)) scalars.push_back({"val_loss", static_cast<float>(m->val_loss)});
      tb_.add(m->step, scalars);
    } else {
      // TensorBoard gets every step's loss (its plots smooth them); the rest at log steps.
      Scalars scalars{{"reduced_train_loss", static_cast<float>(m->reduced_train_loss)}};
      if (!std::isnan(m->val_loss)) {
        progress_.line("validation: step " + std::to_string(m->step) + ", val_loss=" + std::to_string(m->val_loss));
        jsonl_.add(*m, false);
        scalars.push_back({"val_loss", static_cast<float>(m->val_loss)});
      }
      tb_.add(m->step, scalars);
    }
  }
  void line(const std::string& text) { progress_.line(text); }
  // A requeued run says once why it runs again (trn-train run sets the reason from the
  // previous run's decision, launcher/heal/run_healing.h) and where it resumed.
  void restart(int from_step) {
    const char* reason = std::getenv("TRN_TRAIN_RESTART_REASON");
    const char* count = std::getenv("SLURM_RESTART_COUNT");
    if (!reason || !*reason || !count) return;
    const char* nodes = std::getenv("TRN_TRAIN_RESTART_NODES");
    RestartRecord r{std::atoi(count), reason, nodes ? nodes : "", from_step};
    jsonl_.add_restart(r);
    progress_.line("restart " + std::to_string(r.restart) + " (" + r.reason + (r.nodes.empty() ? "" : ", " + r.nodes) +
                   "): resumed from step " + std::to_string(from_step));
  }

 private:
  ProgressPrinter progress_;
  MetricsJsonl jsonl_;
  TensorBoardWriter tb_;
  std::deque<double> recent_;
};

}  // namespace

std::unique_ptr<OverlappedAllreduce> bucket_overlap(const Mpi& mpi, Llama* model) {
  Problem bad;
  const size_t floats = grad_bucket_floats(std::getenv(kGradBucketEnv), &bad);
  if (mpi.rank == 0 && !bad.key.empty()) std::fprintf(stderr, "trn-train-native: warning: %s\n", bad.str().c_str());
  return floats ? std::make_unique<OverlappedAllreduce>(&model->grads(), floats) : nullptr;
}

StepResult forward_backward(const Mpi& mpi, const TrainSettings& s, Llama* model, const BatchSource& data,
                            long long consumed_samples, OverlappedAllreduce* overlap) {
  auto& g = model->grads();
  float loss = 0;
  if (overlap) {
    loss = local_forward_backward(mpi, s, model, data, consumed_samples,
                                  [overlap](size_t begin, size_t end) { overlap->ready(begin, end); });
    overlap->wait();
  } else {
    loss = local_forward_backward(mpi, s, model, data, consumed_samples);
    allreduce_sum(&g);
  }
  // The mean over the ranks, on the whole team (one thread walking every gradient kept
  // the others waiting); nothing to divide on one rank.
  if (mpi.world > 1) {
    const float world = static_cast<float>(mpi.world);
    for_blocks(g.size(), [x = g.data(), world](size_t begin, size_t count) {
      for (size_t i = begin; i < begin + count; ++i) x[i] /= world;
    });
  }
  StepResult r;
  r.loss = allreduce_mean(loss, mpi);
  r.grad_norm = clip_grad_norm(g, static_cast<float>(s.train.gradient_clip_val));
  return r;
}

Problems validation_problems(const TrainSettings& s, const BatchSource& data) {
  if (validation_every(s.train) == 0 || s.train.limit_val_batches <= 0 || data.samples(Split::kValidation) > 0)
    return {};
  return {{"trainer.val_check_interval", std::to_string(s.train.val_check_interval),
           "the dataset has no validation samples: give data.splits_string a validation share (e.g. \"98,2,0\"), "
           "or set trainer.limit_val_batches: 0"}};
}

int train_loop(const Mpi& mpi, const TrainSettings& s, Llama* model, AdamW* opt, const BatchSource& data,
               const StartPoint& start) {
  const config::TrainingConfig& t = s.train;
  const int last_step = static_cast<int>(t.max_steps);
  const long long val_every = validation_every(t), val_batches = validation_batches(s, data, mpi.world);
  const uint64_t epoch_samples = data.samples(Split::kTrain);
  const CheckpointIdentity identity = CheckpointIdentity::of(s.shape);
  std::unique_ptr<Report> report;
  if (mpi.rank == 0) {
    report = std::make_unique<Report>(s);
    report->restart(start.step);
  }
  for (int sig : {SIGTERM, SIGINT, SIGUSR1}) std::signal(sig, on_stop_signal);

  const std::vector<size_t> sizes = shard_sizes(model->params().size(), mpi.world);
  std::vector<float> shard_grads;  // ZeRO-1: this rank's slice of the step's gradients
  const std::unique_ptr<OverlappedAllreduce> overlap = opt->sharded() ? nullptr : bucket_overlap(mpi, model);

  const auto t0 = std::chrono::steady_clock::now();
  int step = start.step, saved_step = start.step;
  long long consumed = start.consumed_samples;
  while (step < last_step) {
    const StepResult r = opt->sharded()
                             ? zero1_forward_backward(mpi, s, model, data, consumed, sizes, &shard_grads)
                             : forward_backward(mpi, s, model, data, consumed, overlap.get());
    ++step;
    // Loss and norm are all-reduced, so every rank stops here together; nothing of
    // this step (or later) is checkpointed.
    if (!std::isfinite(r.loss) || !std::isfinite(r.grad_norm)) {
      if (mpi.rank == 0)
        report_problems("trn-train-native",
                        {{"step " + std::to_string(step),
                          "loss " + std::to_string(r.loss) + ", gradient norm " + std::to_string(r.grad_norm),
                          "training diverged; nothing was checkpointed after step " + std::to_string(saved_step) +
                              ": lower model.optim.lr, raise model.optim.sched.warmup_steps or set "
                              "trainer.gradient_clip_val"}});
      return 1;
    }
    if (opt->sharded()) {
      opt->step(model->params().data() + opt->shard().begin, shard_grads.data(), t.optim, step);
      allgather_slices(&model->params(), sizes);
    } else {
      opt->step(model->params().data(), model->grads().data(), t.optim, step);
    }
    consumed += t.global_batch_size;

    StepMetrics m;
    if (val_every > 0 && val_batches > 0 && step % val_every == 0)
      m.val_loss = validation_loss(mpi, s, model, data, val_batches);
    const bool log_step = step % t.log_every_n_steps == 0 || step == last_step;
    if (mpi.rank == 0) {
      const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      const int steps_run = step - start.step;
      m.step = step, m.max_steps = last_step, m.consumed_samples = consumed;
      m.epoch = epoch_samples ? static_cast<long long>(static_cast<uint64_t>(consumed - 1) / epoch_samples) : 0;
      m.reduced_train_loss = r.loss, m.grad_norm = r.grad_norm;
      m.lr = learning_rate(t.optim, step);
      // Every step: the terminal redraws the line every step, and one pass over the
      // parameters costs far less than the step that changed them.
      m.parameter_norm = std::sqrt(squared_sum(model->params().data(), model->params().size()));
      m.elapsed_s = secs, m.seconds_per_step = secs / steps_run;
      m.seq_per_s = static_cast<double>(t.global_batch_size) * steps_run / secs;
      m.tokens_per_s = m.seq_per_s * s.shape.seq_length;
      m.v_num = s.exp.version;
      report->step(&m, log_step);
    }

    const int stop = allreduce_max(g_stop);
    const bool periodic = t.checkpoint_every_n_steps > 0 && step % t.checkpoint_every_n_steps == 0;
    if (stop || periodic || step == last_step) {
      const std::string err = save_state(mpi, s, identity, model, opt, step, consumed);
      if (mpi.rank == 0) {
        if (err.empty())
          report->line("checkpoint: step " + std::to_string(step) + " -> " +
                       checkpoint_path(s.exp.checkpoint_dir, step));
        else
          std::fprintf(stderr, "trn-train-native: error: %s\n", err.c_str());
      }
      saved_step = step;
      if (allreduce_max(!err.empty())) return 1;
    }
    publish_step(step);  // after its checkpoint: a slow save is part of the step's time
    if (stop) {
      if (mpi.rank == 0)
        report->line("stopped by signal after step " + std::to_string(step) + "; a requeued run resumes from here");
      return 143;
    }
  }
  return 0;
}

}  // namespace trn::native
