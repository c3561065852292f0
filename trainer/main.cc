// trn-train-native: the bundled Llama trainer, data parallel over MPI.
//
// Read top to bottom: the mode (--compile / --train / --generate / --collective-test; COMPILE is the
// launcher's, never read here) -> settings through the one config library (every
// bad input a Problem; each check ends in one verdict of all ranks, printed by rank 0,
// exit 2: trainer/mpi/input_verdict.h) -> batch arithmetic and the data
// (trainer/data/batch_source.h) -> model init -> compile run (one checked step, then
// the graphs), or the experiment's lock (trainer/checkpoint/experiment_lock.h), resume
// (trainer/checkpoint/resume.h) and the loop (trainer/train_loop.h), whose files go to
// the experiment folder (trainer/checkpoint/experiment_dir.h).
#include <CLI/CLI.hpp>

#include <cmath>
#include <cstdio>

#include "common/env_map.h"
#include "common/problem.h"
#include "trainer/data/batch_source.h"
#include "trainer/generate.h"
#include "trainer/mpi/input_verdict.h"
#include "trainer/mpi/mpi_world.h"
#include "trainer/mpi/pair_bandwidth.h"
#include "trainer/model/native_graphs.h"
#include "trainer/plan_world.h"
#include "trainer/report/progress_beacon.h"
#include "trainer/report/stack_dump.h"
#include "trainer/checkpoint/experiment_lock.h"
#include "trainer/checkpoint/resume.h"
#include "trainer/model/threads.h"
#include "trainer/train_loop.h"

namespace {

using namespace trn::native;

std::vector<std::pair<size_t, size_t>> norm_ranges(const ParameterLayout& l, int C) {
  std::vector<std::pair<size_t, size_t>> r{{l.final_norm, static_cast<size_t>(C)}};
  for (const auto& L : l.layers) r.push_back({L.attn_norm, C}), r.push_back({L.ffn_norm, C});
  return r;
}

// The compile run checks one full step on every rank (no update), then compiles the graphs.
int compile_run(const Mpi& mpi, const TrainSettings& s, Llama* model, const BatchSource& data,
                const trn::CacheSettings& cache) {
  const StepResult r = forward_backward(mpi, s, model, data, 0, bucket_overlap(mpi, model).get());
  if (!std::isfinite(r.loss) || !std::isfinite(r.grad_norm)) {
    if (mpi.rank == 0)
      trn::report_problems("trn-train-native", {{"step 1", "loss " + std::to_string(r.loss),
                                                 "the first step is not finite: check the model shape and "
                                                 "model.optim"}});
    return 1;
  }
  if (mpi.rank == 0)
    std::printf("native: one forward/backward/all-reduce step checked on %d ranks (loss %.4f)\n", mpi.world, r.loss);
  std::fflush(stdout);
  std::string err;
  if (compile_graphs(s.shape, cache, mpi.rank, &err) != 0) {
    std::fprintf(stderr, "trn-train-native: compile failed: %s\n", err.c_str());
    return 1;
  }
  return 0;
}

// --kernels: auto (the graphs compiled for this shape when they can be had, else
// the generic kernels), generic, or compiled (no fallback).
enum class KernelChoice { kAuto, kGeneric, kCompiled };

bool parse_kernel_choice(const std::string& text, KernelChoice* out) {
  for (const auto& [name, choice] : {std::pair{"auto", KernelChoice::kAuto}, {"generic", KernelChoice::kGeneric},
                                     {"compiled", KernelChoice::kCompiled}})
    if (text == name) {
      *out = choice;
      return true;
    }
  return false;
}

// Rank 0's line on its graphs: a training run compiles those the cache lacks (no
// compile run before it, an evicted entry), so "loaded" would not always be true.
std::string describe_origins(const GraphOrigins& o) {
  const std::string n = std::to_string(o.from_cache + o.compiled);
  if (o.compiled == 0) return n + " compiled graphs for this shape loaded from the compile cache";
  if (o.from_cache == 0) return n + " graphs for this shape compiled now and stored in the compile cache";
  return n + " compiled graphs for this shape: " + std::to_string(o.from_cache) + " loaded from the compile cache, " +
         std::to_string(o.compiled) + " compiled now and stored in it";
}

// A Problem: --kernels=compiled and no compiled graphs on this rank (each rank loads its own).
trn::Problems use_kernels(const Mpi& mpi, const TrainSettings& s, const trn::CacheSettings& cache, KernelChoice mode,
                          Llama* model) {
  if (mode == KernelChoice::kGeneric) {
    if (mpi.rank == 0) std::printf("native: generic kernels (--kernels=generic)\n");
    return {};
  }
  KernelTable kernels;
  std::string err;
  if (const std::optional<GraphOrigins> origins = load_graphs(s.shape, cache, &kernels, &err)) {
    model->use_kernels(kernels);
    if (mpi.rank == 0) std::printf("native: %s\n", describe_origins(*origins).c_str());
    return {};
  }
  if (mode == KernelChoice::kCompiled)
    return {{"--kernels", "compiled", err + ": compile the graphs first (COMPILE=1), or give --kernels=auto"}};
  if (mpi.rank == 0) std::fprintf(stderr, "trn-train-native: warning: using the generic kernels: %s\n", err.c_str());
  return {};
}

// True when the launcher planned another world than MPI_Init gave this task (srun
// without PMIx: a world of one per task). Every rank checks and prints on its own,
// with no collective first: a task outside the planned world has no peers to agree with.
bool outside_planned_world(const Mpi& mpi) {
  const trn::EnvMap env = trn::current_environment();
  const trn::Problems problems =
      plan_world_problems(trn::lookup(env, "WORLD_SIZE"), trn::lookup(env, "RANK"), mpi.world, mpi.rank);
  if (!problems.empty()) trn::report_problems("trn-train-native", problems);
  return !problems.empty();
}

}  // namespace

int main(int argc, char** argv) {
  Mpi mpi(&argc, &argv);
  // For `trn-train run`'s hang detection: the stack on SIGUSR2 first, so a rank that
  // publishes its pid can always answer (launcher/heal/hang_watch.h).
  install_stack_dump(mpi.rank);
  open_progress_beacon(mpi.rank);
  CLI::App app{"trn-train-native: the bundled Llama trainer (data parallel over MPI, fp32 on CPU).\n"
               "Normally started by `trn-train run` with backend native; runs under srun/mpirun or alone."};
  std::string config;
  bool compile = false, train = false, gen = false, collective = false;
  GenerateOptions gen_opts;
  std::vector<std::string> overrides;
  std::string kernel_mode = "auto";
  app.add_option("--config", config, "NxDT-schema YAML config (model shape from model.model_config); every mode but "
                 "--collective-test (which refuses one) needs it");
  app.add_flag("--compile", compile, "Compile run: check the config and one step, compile the graphs, then stop");
  app.add_flag("--train", train, "Training run (the default)");
  app.add_flag("--collective-test", collective,
               "MPI all-reduce bandwidth between node pairs, one rank per node (what `trn-train preflight "
               "--collective` runs on a native plan); prints one line per pair");
  app.add_flag("--generate", gen, "Continue --prompt with the experiment's newest checkpoint, print the text");
  app.add_option("--prompt", gen_opts.prompt, "--generate: the text to continue");
  app.add_option("--max-new-tokens", gen_opts.max_new_tokens, "--generate: tokens to add (default 64)")
      ->check(CLI::Range(1, 1000000));
  app.add_option("--min-new-tokens", gen_opts.min_new_tokens,
                 "--generate: tokens to add before the end of sequence may end the text (default 0)");
  app.add_option("--top-k", gen_opts.top_k, "--generate: sample from the K likeliest tokens (default 0: greedy)")
      ->check(CLI::Range(0, 1 << 30));
  app.add_option("--temperature", gen_opts.temperature, "--generate: logit temperature for top-k (default 1.0)")
      ->check(CLI::Range(1e-3, 100.0));
  app.add_option("--tokenizer", gen_opts.tokenizer,
                 "--generate: `byte` or a SentencePiece model (default: the dataset's, else token ids)");
  app.add_option("--kernels", kernel_mode,
                 "--train: auto (compiled graphs when they can be had, else generic; the default), generic or "
                 "compiled");
  app.add_option("overrides", overrides, "Hydra-style key.sub=value overrides, e.g. trainer.max_steps=20");
  // Every check below ends in one collective verdict (trainer/mpi/input_verdict.h), called
  // by every rank whatever its own outcome, so a rank with bad input never stops alone.
  trn::Problems problems;
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return mpi.rank == 0 ? app.exit(e) : 0;  // --help
    problems.push_back({"command line", e.what(), "see trn-train-native --help"});
  }
  // The mode comes from the command line only: the launcher is the one place that
  // reads COMPILE and passes --compile or --train.
  if (problems.empty() && compile + train + gen + collective > 1) {
    std::string given;
    for (const auto& [set, flag] : {std::pair{compile, "--compile"}, {train, "--train"}, {gen, "--generate"},
                                    {collective, "--collective-test"}})
      if (set) given += (given.empty() ? "" : " and ") + std::string(flag);
    problems.push_back({"mode", given,
                        "give one: --compile (check one step, compile the graphs), --train (the default), "
                        "--generate or --collective-test"});
  }
  if (problems.empty() && !collective && config.empty())
    problems.push_back({"--config", "(missing)", "name the NxDT-schema YAML config: --config PATH"});
  // The bandwidth test reads no config: one given with it would look obeyed and not be.
  if (problems.empty() && collective && (!config.empty() || !overrides.empty()))
    problems.push_back({"--collective-test", config.empty() ? overrides.front() : "--config " + config,
                        "the test reads no config: drop --config and the overrides"});
  if (refused_together(mpi, problems)) return trn::kExitBadInput;
  if (collective) {
    if (outside_planned_world(mpi)) return trn::kExitBadInput;
    run_pair_bandwidth(mpi);
    return 0;
  }
  // --generate runs on rank 0 alone: the world does not matter to it.
  if (!gen && outside_planned_world(mpi)) return trn::kExitBadInput;

  KernelChoice kernels = KernelChoice::kAuto;
  if (!parse_kernel_choice(kernel_mode, &kernels))
    problems.push_back({"--kernels", kernel_mode,
                        "give auto (compiled graphs when available, else generic), generic or compiled"});
  TrainSettings s;
  if (load_train_settings(config, overrides, &s, &problems) && !gen) {
    const long long per_step = s.train.micro_batch_size * mpi.world;
    if (s.train.global_batch_size % per_step != 0)
      problems.push_back({"data.global_batch_size", std::to_string(s.train.global_batch_size),
                          "must be a multiple of data.micro_batch_size x data-parallel ranks = " +
                              std::to_string(s.train.micro_batch_size) + " x " + std::to_string(mpi.world) + " = " +
                              std::to_string(per_step)});
  }
  if (gen) {
    if (refused_together(mpi, problems)) return trn::kExitBadInput;
    return mpi.rank == 0 ? generate(s, gen_opts) : 0;
  }
  const trn::CacheSettings cache =
      graph_cache_settings(s.train.compiler_cache_url, trn::current_environment(), &problems);
  trn::Problems reported_later;  // a bad zero1 value: restore_training_state reports it
  const int zero1_ranks = zero1_enabled(s, &reported_later) ? mpi.world : 1;
  if (refused_together(mpi, problems) || memory_refused(mpi, s.shape, s.train.micro_batch_size, zero1_ranks))
    return trn::kExitBadInput;
  // Every rank opens the data (memory-mapped) and reaches the same verdict on it.
  std::unique_ptr<BatchSource> data = open_batch_source(s, &problems);
  if (data) problems = validation_problems(s, *data);
  if (refused_together(mpi, problems)) return trn::kExitBadInput;

  const int accum = static_cast<int>(s.train.global_batch_size / (s.train.micro_batch_size * mpi.world));
  size_kernel_threads(ranks_on_this_node(mpi));
  Llama model(s.shape, static_cast<int>(s.train.micro_batch_size));
  model.init(s.train.seed);
  if (compile) return compile_run(mpi, s, &model, *data, cache);

  AdamW opt(model.params().size(), optimizer_shard(s, model.params().size(), mpi.world, mpi.rank),
            norm_ranges(model.layout(), s.shape.hidden_size));
  // One run per experiment folder: rank 0 holds its lock to the end of the run.
  const LockedExperiment locked = mpi.rank == 0 ? lock_experiment(s.exp.log_dir) : LockedExperiment{};
  if (refused_together(mpi, locked.problems, CheckedBy::kRank0)) return trn::kExitBadInput;
  if (!locked.note.empty()) std::printf("%s\n", locked.note.c_str());
  StartPoint start;
  if (!restore_training_state(mpi, s, locked.lock.get(), CheckpointIdentity::of(s.shape), &model, &opt, &start))
    return trn::kExitBadInput;
  if (mpi.rank == 0) {
    std::string err = record_experiment(s.exp, s.doc.dump(), std::vector<std::string>(argv, argv + argc));
    if (!err.empty()) std::fprintf(stderr, "trn-train-native: warning: %s\n", err.c_str());
    std::printf("native: experiment %s\n", s.exp.log_dir.c_str());
  }
  if (refused_together(mpi, use_kernels(mpi, s, cache, kernels, &model))) return 1;
  if (mpi.rank == 0)
    std::printf("native: %zu parameters, %d layers, hidden %d, heads %d/%d kv, seq %d | world %d, micro %lld, global "
                "%lld, accumulation %d | %s\n",
                model.params().size(), s.shape.num_layers, s.shape.hidden_size, s.shape.num_heads,
                s.shape.num_kv_heads, s.shape.seq_length, mpi.world, s.train.micro_batch_size,
                s.train.global_batch_size, accum, data->describe().c_str());
  return train_loop(mpi, s, &model, &opt, *data, start);
}
