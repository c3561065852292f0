#include "launcher/plan/backend_command.h"


namespace trn {

std::vector<std::string> backend_command(const Plan& p, const LoadedConfig& cfg, const std::string& bindir) {
  std::vector<std::string> argv;
  const std::string P = std::to_string(p.procs_per_node), N = std::to_string(p.nodes);
  if (p.backend == Backend::kNative) {
    // The effective config (overrides and site defaults applied) that `run` writes:
    // what ran is on disk, and the trainer parses no overrides of its own.
    return {bindir + "/trn-train-native", "--config", p.effective_config, p.compile ? "--compile" : "--train"};
  }
  if (p.compile && p.backend == Backend::kNxdt) {
    // collect-then-compile: this node only extracts its graphs; `run` then compiles them
    // once across all nodes (launcher/neuron/neuron_compile.h).
    argv.push_back("neuron_parallel_compile");
    if (cfg.launch.neuron_compile == NeuronCompile::kCollectThenCompile) argv.insert(argv.end(), {"--command", "collect"});
  }
  const bool torchneuron = p.backend == Backend::kTorchNeuron;
  if (p.launch_pattern == LaunchPattern::kPerNode) {
    argv.insert(argv.end(), {"torchrun", "--nproc_per_node", P, "--nnodes", N, "--node_rank",
                             std::to_string(p.node_rank), "--master_addr", p.master_addr, "--master_port",
                             std::to_string(p.master_port)});
    // Each TorchNeuron worker must see exactly one core (its process group keeps a preset
    // NEURON_RT_VISIBLE_CORES and wants one core per process), but torchrun hands every
    // worker the task's whole range: `trn-train worker` narrows it by LOCAL_RANK, then
    // execs the real worker. --no-python: torchrun execs it as a program
    // (pytorch torch/distributed/run.py; --no-python and -m exclude each other).
    if (torchneuron) argv.insert(argv.end(), {"--no-python", bindir + "/trn-train", "worker", "python3"});
  } else {
    argv.push_back("python3");
  }
  if (torchneuron && cfg.torchtitan) {
    // TorchTitan's own launch line (run_train.sh): its degrees and batch live in the TOML,
    // which planning has checked; trn-train's KEY=VALUE overrides apply to the YAML only.
    argv.insert(argv.end(), {"-m", "torchtitan.train", "--job.config_file", cfg.torchtitan->path});
    return argv;
  }
  argv.push_back(cfg.launch.script);  // nxdt under torchrun: no python3 (torchrun prepends it)
  if (p.backend == Backend::kNxdt) {
    argv.insert(argv.end(), {"--config-path=" + cfg.dir, "--config-name=" + cfg.name, "trainer.devices=" + P,
                             "trainer.num_nodes=" + N});
    // The experiment (checkpoints, resume) must be one folder for every node and every
    // requeue: like train.sh, explicit_log_dir=null and NEMO_EXPM_VERSION=<job id>
    // (neuron_env). A folder the config or the user names is theirs, so it is not overridden.
    // As train.sh writes it where the config has the key (null); `++` where it lacks it,
    // since Hydra refuses a plain `key=` for a missing key.
    if (cfg.training.explicit_log_dir.empty())
      argv.push_back(std::string(cfg.training.explicit_log_dir_written ? "" : "++") + "exp_manager.explicit_log_dir=null");
  } else {
    argv.insert(argv.end(), {"--config", cfg.path});
  }
  argv.insert(argv.end(), cfg.override_args.begin(), cfg.override_args.end());
  // Relative paths mean the config's folder for every backend (common/config/config_paths.h);
  // NxDT would take them from its working directory, so it is handed them absolute.
  if (p.backend == Backend::kNxdt) argv.insert(argv.end(), cfg.absolute_paths.begin(), cfg.absolute_paths.end());
  return argv;
}

}  // namespace trn
