// trn-train-native: the bundled Llama trainer, data parallel over MPI.
//
// Read top to bottom: mode (--compile / --train; COMPILE is the launcher's, never
// read here) -> settings through the one config library (every bad input a Problem,
// printed by rank 0, exit 2) -> MPI topology and batch arithmetic -> model init
// or resume -> loop { micro-batches forward/backward, all-reduce, clip, AdamW,
// log, checkpoint }. A SIGTERM (scancel, requeue, time limit) is agreed on by all
// ranks at the next step boundary, a checkpoint is written, and the run exits 143,
// so a requeued job resumes where it stopped.
#include <mpi.h>

#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>

#include "common/env_map.h"
#include "common/problem.h"
#include "trainer/adamw.h"
#include "trainer/checkpoint.h"
#include "trainer/llama.h"
#include "trainer/memory_estimate.h"
#include "trainer/native_graphs.h"
#include "trainer/synthetic_corpus.h"
#include "trainer/train_settings.h"

namespace {

using namespace trn::native;

volatile std::sig_atomic_t g_stop = 0;
void on_term(int) { g_stop = 1; }

struct Mpi {
  int rank = 0, world = 1;
  Mpi(int* argc, char*** argv) {
    MPI_Init(argc, argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &world);
  }
  ~Mpi() { MPI_Finalize(); }
};

// Bad input: every rank reaches the same verdict, rank 0 prints the problems.
bool report(const Mpi& mpi, const trn::Problems& problems) {
  if (mpi.rank == 0 && !problems.empty()) trn::report_problems("trn-train-native", problems);
  return !problems.empty();
}

// MPI counts are int: a state of more than 2^31 floats goes in pieces.
constexpr size_t kMpiChunk = size_t{1} << 28;
void bcast_floats(std::vector<float>* v) {
  for (size_t at = 0; at < v->size(); at += kMpiChunk)
    MPI_Bcast(v->data() + at, static_cast<int>(std::min(kMpiChunk, v->size() - at)), MPI_FLOAT, 0, MPI_COMM_WORLD);
}
void allreduce_sum(std::vector<float>* v) {
  for (size_t at = 0; at < v->size(); at += kMpiChunk)
    MPI_Allreduce(MPI_IN_PLACE, v->data() + at, static_cast<int>(std::min(kMpiChunk, v->size() - at)), MPI_FLOAT,
                  MPI_SUM, MPI_COMM_WORLD);
}

// Rank 0's verdict, agreed by all: problems is rank 0's, printed there; true if any.
bool rank0_refused(const Mpi& mpi, const trn::Problems& problems) {
  int bad = mpi.rank == 0 && !problems.empty();
  MPI_Bcast(&bad, 1, MPI_INT, 0, MPI_COMM_WORLD);
  if (bad) report(mpi, problems);
  return bad;
}

// The memory a run needs against what each node has, before anything big is
// allocated. Every node checks its own ranks; the first rank with a problem prints it.
bool memory_refused(const Mpi& mpi, const ModelShape& shape, long long micro_batch) {
  MPI_Comm node;
  MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, mpi.rank, MPI_INFO_NULL, &node);
  int ranks_here = 1;
  MPI_Comm_size(node, &ranks_here);
  MPI_Comm_free(&node);
  const trn::Problems problems = memory_problems(shape, micro_batch, ranks_here, available_memory_bytes());
  int first_bad = problems.empty() ? mpi.world : mpi.rank;
  MPI_Allreduce(MPI_IN_PLACE, &first_bad, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
  if (first_bad == mpi.rank) trn::report_problems("trn-train-native", problems);
  return first_bad < mpi.world;
}

std::vector<std::pair<size_t, size_t>> norm_ranges(const ParameterLayout& l, int C) {
  std::vector<std::pair<size_t, size_t>> r{{l.final_norm, static_cast<size_t>(C)}};
  for (const auto& L : l.layers) r.push_back({L.attn_norm, C}), r.push_back({L.ffn_norm, C});
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  Mpi mpi(&argc, &argv);
  CLI::App app{"trn-train-native: the bundled Llama trainer (data parallel over MPI, fp32 on CPU).\n"
               "Normally started by `trn-train run` with backend native; runs under srun/mpirun or alone."};
  std::string config;
  bool compile = false, train = false;
  std::vector<std::string> overrides;
  app.add_option("--config", config, "NxDT-schema YAML config (model shape from model.model_config)")->required();
  app.add_flag("--compile", compile, "Compile run: check the config and one step, compile the graphs, then stop");
  app.add_flag("--train", train, "Training run (the default)");
  app.add_option("overrides", overrides, "Hydra-style key.sub=value overrides, e.g. trainer.max_steps=20");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return mpi.rank == 0 ? app.exit(e) : 0;  // --help
    report(mpi, {{"command line", e.what(), "see trn-train-native --help"}});
    return trn::kExitBadInput;
  }
  // The mode comes from the command line only: the launcher is the one place that
  // reads COMPILE and passes --compile or --train.
  if (compile && train) {
    report(mpi, {{"mode", "--compile and --train", "give one: --compile (check one step, compile the graphs) or --train "
                                                 "(the default)"}});
    return trn::kExitBadInput;
  }

  trn::Problems problems;
  TrainSettings s;
  if (load_train_settings(config, overrides, &s, &problems)) {
    const long long per_step = s.train.micro_batch_size * mpi.world;
    if (s.train.global_batch_size % per_step != 0)
      problems.push_back({"data.global_batch_size", std::to_string(s.train.global_batch_size),
                          "must be a multiple of data.micro_batch_size x data-parallel ranks = " +
                              std::to_string(s.train.micro_batch_size) + " x " + std::to_string(mpi.world) + " = " +
                              std::to_string(per_step)});
  }
  const trn::CacheSettings cache =
      graph_cache_settings(s.train.compiler_cache_url, trn::current_environment(), &problems);
  if (report(mpi, problems) || memory_refused(mpi, s.shape, s.train.micro_batch_size)) return trn::kExitBadInput;
  const int mbs = static_cast<int>(s.train.micro_batch_size);
  const int accum = static_cast<int>(s.train.global_batch_size / (s.train.micro_batch_size * mpi.world));

  Llama model(s.shape, mbs);
  model.init(s.train.seed);
  AdamW opt(model.params().size(), norm_ranges(model.layout(), s.shape.hidden_size));
  const CheckpointIdentity identity = CheckpointIdentity::of(s.shape);
  int resumed_step = 0;
  if (!compile) {
    // Rank 0 checks the folder and reads the checkpoint, then broadcasts the state:
    // works without a shared filesystem too. The state moves in and out of the model
    // and optimizer, never copied (it is 3 x 4 bytes per parameter).
    trn::Problems unusable_dir;
    std::vector<std::string> stale;
    trn::Problem problem;
    if (mpi.rank == 0 &&
        !prepare_checkpoint_dir(s.checkpoint_dir, checkpoint_file_bytes(identity), &stale, &problem))
      unusable_dir.push_back(problem);
    if (rank0_refused(mpi, unusable_dir)) return trn::kExitBadInput;
    for (const std::string& name : stale)
      std::printf("checkpoint: removed %s/%s, left by a writer that was killed\n", s.checkpoint_dir.c_str(),
                  name.c_str());
    TrainState state{0, std::move(model.params()), std::move(opt.m()), std::move(opt.v())};
    ResumeResult resume;
    if (mpi.rank == 0) resume = resume_checkpoint(s.checkpoint_dir, identity, &state);
    if (rank0_refused(mpi, resume.kind == ResumeResult::kRefused ? resume.refused : trn::Problems{}))
      return trn::kExitBadInput;
    for (const trn::Problem& p : resume.refused)
      std::fprintf(stderr, "trn-train-native: warning: %s; falling back to the previous checkpoint %s\n",
                   p.str().c_str(), resume.path.c_str());
    MPI_Bcast(&state.step, 1, MPI_INT, 0, MPI_COMM_WORLD);
    for (auto* v : {&state.params, &state.m, &state.v}) bcast_floats(v);
    model.params() = std::move(state.params), opt.m() = std::move(state.m), opt.v() = std::move(state.v);
    resumed_step = state.step;
    if (mpi.rank == 0 && resumed_step > 0)
      std::printf("resumed from %s at step %d\n", resume.path.c_str(), resumed_step);
    if (mpi.rank == 0 && resumed_step >= s.train.max_steps)
      std::printf("nothing to train: the checkpoint is at step %d, trainer.max_steps = %lld\n", resumed_step,
                  s.train.max_steps);
  }

  if (!compile) {
    // The graphs compiled for this shape by the compile run, or compiled now under the cluster-wide lock.
    AttentionKernels kernels;
    std::string err;
    if (load_graphs(s.shape, cache, &kernels, &err)) {
      model.use_attention_kernels(kernels);
      if (mpi.rank == 0) std::printf("native: attention graph for this shape loaded from the compile cache\n");
    } else if (mpi.rank == 0) {
      std::fprintf(stderr, "trn-train-native: warning: using the generic attention kernels: %s\n", err.c_str());
    }
  }
  SyntheticCorpus corpus(s.shape.vocab_size, s.train.seed);
  if (mpi.rank == 0)
    std::printf("native: %zu parameters, %d layers, hidden %d, heads %d/%d kv, seq %d | world %d, micro %d, global %d, "
                "accumulation %d | target loss (corpus entropy) %.3f\n",
                model.params().size(), s.shape.num_layers, s.shape.hidden_size, s.shape.num_heads,
                s.shape.num_kv_heads, s.shape.seq_length, mpi.world, mbs, static_cast<int>(s.train.global_batch_size), accum,
                corpus.entropy());
  std::signal(SIGTERM, on_term);
  std::signal(SIGINT, on_term);

  const int last_step = compile ? 1 : static_cast<int>(s.train.max_steps);
  std::vector<int> tokens, targets;
  auto t0 = std::chrono::steady_clock::now();
  int step = resumed_step, saved_step = resumed_step;
  float last_loss = 0.0f;
  while (step < last_step) {
    ++step;
    model.zero_grad();
    float loss = 0.0f;
    for (int micro = 0; micro < accum; ++micro) {
      const unsigned long long stream = (static_cast<unsigned long long>(step) * accum + micro) * mpi.world + mpi.rank;
      corpus.batch(mbs, s.shape.seq_length, stream, &tokens, &targets);
      loss += model.forward(tokens.data(), targets.data()) / accum;
      model.backward(1.0f / accum);
    }
    auto& g = model.grads();
    allreduce_sum(&g);
    for (float& x : g) x /= mpi.world;
    MPI_Allreduce(MPI_IN_PLACE, &loss, 1, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
    loss /= mpi.world;
    last_loss = loss;
    const float norm = clip_grad_norm(g, static_cast<float>(s.train.gradient_clip_val));
    // Loss and norm are all-reduced, so every rank stops here together; nothing of
    // this step (or later) is checkpointed.
    if (!std::isfinite(loss) || !std::isfinite(norm)) {
      if (mpi.rank == 0)
        trn::report_problems("trn-train-native",
                             {{"step " + std::to_string(step),
                               "loss " + std::to_string(loss) + ", gradient norm " + std::to_string(norm),
                               "training diverged; nothing was checkpointed after step " + std::to_string(saved_step) +
                                   ": lower model.optim.lr, raise model.optim.sched.warmup_steps or set "
                                   "trainer.gradient_clip_val"}});
      return 1;
    }
    if (compile) break;  // the compile run checks one full step, it does not update
    opt.step(model.params(), g, s.train.optim, step);

    if (mpi.rank == 0 && (step % s.train.log_every_n_steps == 0 || step == last_step)) {
      const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      const double tokens_seen =
          static_cast<double>(s.train.global_batch_size) * s.shape.seq_length * (step - resumed_step);
      std::printf("step %d/%d | loss %.4f | lr %.3e | grad norm %.3f | %.0f tok/s\n", step, last_step, loss,
                  learning_rate(s.train.optim, step), norm, tokens_seen / secs);
      std::fflush(stdout);
    }
    int stop = g_stop;
    MPI_Allreduce(MPI_IN_PLACE, &stop, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    const long long every = s.train.checkpoint_every_n_steps;
    const bool periodic = every > 0 && step % every == 0;
    if (stop || periodic || step == last_step) {
      std::string err;
      if (mpi.rank == 0) {
        TrainState st{step, std::move(model.params()), std::move(opt.m()), std::move(opt.v())};
        err = save_checkpoint(s.checkpoint_dir, identity, st);
        model.params() = std::move(st.params), opt.m() = std::move(st.m), opt.v() = std::move(st.v);
        if (err.empty())
          std::printf("checkpoint: step %d -> %s\n", step, checkpoint_path(s.checkpoint_dir, step).c_str());
      }
      saved_step = step;
      int bad = !err.empty();
      MPI_Bcast(&bad, 1, MPI_INT, 0, MPI_COMM_WORLD);
      if (bad) {
        if (mpi.rank == 0) std::fprintf(stderr, "trn-train-native: error: %s\n", err.c_str());
        return 1;
      }
    }
    if (stop) {
      if (mpi.rank == 0) {
        std::printf("stopped by signal after step %d; a requeued run resumes from here\n", step);
        std::fflush(stdout);
      }
      return 143;
    }
  }
  if (compile) {
    if (mpi.rank == 0)
      std::printf("native: one forward/backward/all-reduce step checked on %d ranks (loss %.4f)\n", mpi.world,
                  last_loss);
    std::fflush(stdout);
    std::string err;
    const int failed = compile_graphs(s.shape, cache, mpi.rank, &err);
    if (failed != 0) {
      std::fprintf(stderr, "trn-train-native: compile failed: %s\n", err.c_str());
      return 1;
    }
  }
  return 0;
}
