// trn-train-native: the bundled Llama trainer, data parallel over MPI.
//
// Read top to bottom: settings -> MPI topology and batch arithmetic -> model init
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

// Every rank reaches the same verdict; rank 0 prints the reasons.
bool report_errors(const Mpi& mpi, const std::vector<std::string>& errors) {
  if (mpi.rank == 0)
    for (const auto& e : errors) std::fprintf(stderr, "trn-train-native: error: %s\n", e.c_str());
  return !errors.empty();
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
  bool compile = false;
  std::vector<std::string> overrides;
  app.add_option("--config", config, "NxDT-schema YAML config (model shape from model.model_config)")->required();
  app.add_flag("--compile", compile, "Ahead-of-time compile run (COMPILE=1): check the config and one step, then stop");
  app.add_flag("--train", "Training run (the default)");
  app.add_option("overrides", overrides, "Hydra-style key.sub=value overrides, e.g. trainer.max_steps=20");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return mpi.rank == 0 ? app.exit(e) : (e.get_exit_code() == 0 ? 0 : 2);
  }
  if (const char* c = std::getenv("COMPILE"); c && std::string(c) == "1") compile = true;

  std::vector<std::string> errors;
  TrainSettings s = load_train_settings(config, overrides, &errors);
  const int per_step = s.micro_batch * mpi.world;
  if (errors.empty() && (s.global_batch < per_step || s.global_batch % per_step != 0))
    errors.push_back("data.global_batch_size = " + std::to_string(s.global_batch) +
                     " is not a multiple of data.micro_batch_size x data-parallel ranks = " + std::to_string(s.micro_batch) +
                     " x " + std::to_string(mpi.world) + ": set it to a multiple of " + std::to_string(per_step));
  if (report_errors(mpi, errors)) return 2;
  const int accum = s.global_batch / per_step;

  Llama model(s.shape, s.micro_batch);
  model.init(s.seed);
  AdamW opt(model.params().size(), norm_ranges(model.layout(), s.shape.hidden_size));
  TrainState state;
  if (!compile) {
    // Rank 0 reads the checkpoint and broadcasts it: works without a shared filesystem too.
    state.params = model.params(), state.m = opt.m(), state.v = opt.v();
    bool found = false;
    std::string err = mpi.rank == 0 ? load_checkpoint(s.checkpoint_dir, &state, &found) : "";
    int bad = !err.empty();
    MPI_Bcast(&bad, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (bad) {
      report_errors(mpi, {err});
      return 2;
    }
    MPI_Bcast(&state.step, 1, MPI_INT, 0, MPI_COMM_WORLD);
    for (auto* v : {&state.params, &state.m, &state.v})
      MPI_Bcast(v->data(), static_cast<int>(v->size()), MPI_FLOAT, 0, MPI_COMM_WORLD);
    model.params() = state.params, opt.m() = state.m, opt.v() = state.v;
    if (mpi.rank == 0 && state.step > 0)
      std::printf("resumed from %s/checkpoint.bin at step %d\n", s.checkpoint_dir.c_str(), state.step);
  }

  if (!compile) {
    // The graphs compiled for this shape (COMPILE=1), or compiled now under the cluster-wide lock.
    AttentionKernels kernels;
    std::string err;
    if (load_graphs(s.shape, &kernels, &err)) {
      model.use_attention_kernels(kernels);
      if (mpi.rank == 0) std::printf("native: attention graph for this shape loaded from the compile cache\n");
    } else if (mpi.rank == 0) {
      std::fprintf(stderr, "trn-train-native: warning: using the generic attention kernels: %s\n", err.c_str());
    }
  }
  SyntheticCorpus corpus(s.shape.vocab_size, s.seed);
  if (mpi.rank == 0)
    std::printf("native: %zu parameters, %d layers, hidden %d, heads %d/%d kv, seq %d | world %d, micro %d, global %d, "
                "accumulation %d | target loss (corpus entropy) %.3f\n",
                model.params().size(), s.shape.num_layers, s.shape.hidden_size, s.shape.num_heads,
                s.shape.num_kv_heads, s.shape.seq_length, mpi.world, s.micro_batch, s.global_batch, accum,
                corpus.entropy());
  std::signal(SIGTERM, on_term);
  std::signal(SIGINT, on_term);

  const int last_step = compile ? 1 : s.max_steps;
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
      corpus.batch(s.micro_batch, s.shape.seq_length, stream, &tokens, &targets);
      loss += model.forward(tokens.data(), targets.data()) / accum;
      model.backward(1.0f / accum);
    }
    auto& g = model.grads();
    MPI_Allreduce(MPI_IN_PLACE, g.data(), static_cast<int>(g.size()), MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
    for (float& x : g) x /= mpi.world;
    MPI_Allreduce(MPI_IN_PLACE, &loss, 1, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
    loss /= mpi.world;
    last_loss = loss;
    const float norm = clip_grad_norm(g, s.grad_clip);
    if (compile) break;  // the compile run checks one full step, it does not update
    opt.step(model.params(), g, s, step);

    if (mpi.rank == 0 && (step % std::max(1, s.log_every) == 0 || step == last_step)) {
      const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      const double tokens_seen = static_cast<double>(s.global_batch) * s.shape.seq_length * (step - state.step);
      std::printf("step %d/%d | loss %.4f | lr %.3e | grad norm %.3f | %.0f tok/s\n", step, last_step, loss,
                  learning_rate(s, step), norm, tokens_seen / secs);
      std::fflush(stdout);
    }
    int stop = g_stop;
    MPI_Allreduce(MPI_IN_PLACE, &stop, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    const bool periodic = s.checkpoint_every > 0 && step % s.checkpoint_every == 0;
    if (stop || periodic || step == last_step) {
      std::string err;
      if (mpi.rank == 0) {
        err = save_checkpoint(s.checkpoint_dir, {step, model.params(), opt.m(), opt.v()});
        if (err.empty()) std::printf("checkpoint: step %d -> %s/checkpoint.bin\n", step, s.checkpoint_dir.c_str());
      }
      int bad = !err.empty();
      MPI_Bcast(&bad, 1, MPI_INT, 0, MPI_COMM_WORLD);
      if (bad) {
        report_errors(mpi, {err});
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
    const int failed = compile_graphs(s.shape, mpi.rank, &err);
    if (failed != 0) {
      std::fprintf(stderr, "trn-train-native: compile failed: %s\n", err.c_str());
      return 1;
    }
  }
  return 0;
}
