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

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>

#include "common/env_map.h"
#include "common/problem.h"
#include "trainer/adamw.h"
#include "trainer/checkpoint.h"
#include "trainer/llama.h"
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
  if (report(mpi, problems)) return trn::kExitBadInput;
  const int mbs = static_cast<int>(s.train.micro_batch_size);
  const int accum = static_cast<int>(s.train.global_batch_size / (s.train.micro_batch_size * mpi.world));

  Llama model(s.shape, mbs);
  model.init(s.train.seed);
  AdamW opt(model.params().size(), norm_ranges(model.layout(), s.shape.hidden_size));
  TrainState state;
  if (!compile) {
    // Rank 0 reads the checkpoint and broadcasts it: works without a shared filesystem too.
    state.params = model.params(), state.m = opt.m(), state.v = opt.v();
    bool found = false;
    trn::Problem problem;
    int bad = mpi.rank == 0 && !load_checkpoint(s.checkpoint_dir, &state, &found, &problem);
    MPI_Bcast(&bad, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (bad) {
      report(mpi, {problem});
      return trn::kExitBadInput;
    }
    MPI_Bcast(&state.step, 1, MPI_INT, 0, MPI_COMM_WORLD);
    for (auto* v : {&state.params, &state.m, &state.v})
      MPI_Bcast(v->data(), static_cast<int>(v->size()), MPI_FLOAT, 0, MPI_COMM_WORLD);
    model.params() = state.params, opt.m() = state.m, opt.v() = state.v;
    if (mpi.rank == 0 && state.step > 0)
      std::printf("resumed from %s/checkpoint.bin at step %d\n", s.checkpoint_dir.c_str(), state.step);
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
  int step = state.step;
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
    MPI_Allreduce(MPI_IN_PLACE, g.data(), static_cast<int>(g.size()), MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
    for (float& x : g) x /= mpi.world;
    MPI_Allreduce(MPI_IN_PLACE, &loss, 1, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
    loss /= mpi.world;
    last_loss = loss;
    const float norm = clip_grad_norm(g, static_cast<float>(s.train.gradient_clip_val));
    if (compile) break;  // the compile run checks one full step, it does not update
    opt.step(model.params(), g, s.train.optim, step);

    if (mpi.rank == 0 && (step % s.train.log_every_n_steps == 0 || step == last_step)) {
      const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      const double tokens_seen = static_cast<double>(s.train.global_batch_size) * s.shape.seq_length * (step - state.step);
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
        err = save_checkpoint(s.checkpoint_dir, {step, model.params(), opt.m(), opt.v()});
        if (err.empty()) std::printf("checkpoint: step %d -> %s/checkpoint.bin\n", step, s.checkpoint_dir.c_str());
      }
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
