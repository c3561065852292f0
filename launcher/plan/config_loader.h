// The model config as the launcher sees it: the NxDT-schema YAML (through the one
// config library, common/config) with the user's overrides applied, plus
// trn-train's own strict `launch:` block resolved against the site defaults.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/config/cache_location.h"
#include "common/config/document.h"
#include "common/config/site_file.h"
#include "common/config/training.h"
#include "launcher/plan/torchtitan_config.h"

namespace trn {

enum class Backend { kNative, kNxdt, kTorchNeuron };
const char* to_string(Backend b);  // "native" | "nxdt" | "torchneuron"

// How a COMPILE=1 run of the Neuron backends compiles (launcher/neuron/neuron_compile.h):
// collect-then-compile: `neuron_parallel_compile --command collect` on every node, then
// every collected graph compiled once across all nodes through our cache;
// parallel-compile: plain `neuron_parallel_compile` on every node (each compiles everything).
enum class NeuronCompile { kCollectThenCompile, kParallelCompile };
const char* to_string(NeuronCompile n);  // "collect_then_compile" | "parallel_compile"

// What a COMPILE=0 Neuron run does when the cache is not warm (launcher/neuron/warm_cache.h).
enum class WarmCachePolicy { kRefuse, kWarn, kOff };
const char* to_string(WarmCachePolicy w);  // "refuse" | "warn" | "off"

struct LaunchSettings {
  Backend backend = Backend::kNxdt;
  std::string instance;          // catalog name
  std::optional<long long> nodes;
  std::optional<long long> procs_per_node;  // only with allow_devices_mismatch, or for cpu
  bool allow_devices_mismatch = false;
  std::string master_ports;     // "LO-HI" or a fixed port; "" = the default range
  bool requeue = true;
  bool preflight = true;        // submit: `srun trn-train preflight` as each job's first step (bad nodes fail it early)
  int max_restarts = 10;        // no self-requeue at or past it; `run` refuses SLURM_RESTART_COUNT above it
  int hang_timeout = 0;         // run: seconds without step progress that make a hang; 0 = auto (launcher/heal/hang_watch.h)
  int signal_grace = 300;       // submit: --signal=USR1@<s>, the time-limit warning a job requeues itself at; 0 = off
  std::string log_dir = "logs";
  NeuronCompile neuron_compile = NeuronCompile::kCollectThenCompile;
  int compile_slots = 0;        // concurrent compiles per node in collect-then-compile; 0 = the node's cores
  WarmCachePolicy require_warm_cache = WarmCachePolicy::kWarn;
  std::string cache_dir;        // a private compile cache (outranks the site's cache_root)
  std::string script;           // nxdt: training_orchestrator.py; torchneuron: the user's script
  // torchneuron: TorchTitan's TOML job config, as written (relative: to the config's folder);
  // set, the workers run `python3 -m torchtitan.train --job.config_file <it>` instead of the script.
  std::string torchtitan_config;
  std::string partition;
  std::string job_name;
  std::string time;
  std::vector<std::string> sbatch_flags;
};

struct LoadedConfig {
  std::string path;       // absolute path of the YAML read
  std::string name;       // file stem (Hydra --config-name)
  std::string dir;        // its directory (Hydra --config-path)
  config::Document doc;   // after overrides
  config::TrainingConfig training;  // the keys every backend shares, read once from doc
  std::vector<std::string> override_args;  // as given, for Hydra (launch.* left out: NxDT would reject it)
  std::vector<std::string> absolute_paths;  // `++key=/abs/path` for each relative path key (for Hydra)
  std::string model_config_file;           // model.model_config, absolute ("" = none)
  std::vector<std::string> data_prefixes;  // data.data_prefix's PREFIXes, absolute
  LaunchSettings launch;
  std::optional<TorchTitanConfig> torchtitan;  // launch.torchtitan_config, read (path absolute)
};

// Resolves `conf` on the search path, loads it, applies overrides and reads
// `launch:` (unknown keys are errors) over the site defaults. Throws InputError.
LoadedConfig load_config(const std::string& conf, const std::vector<std::string>& overrides,
                         const config::SiteConfig& site);

// Where the compile cache of a job of `cfg` comes from (common/config/cache_location.h):
// the config's keys and the site file; `cfg` may be null (no --conf: the site alone).
config::CacheSources cache_sources(const LoadedConfig* cfg, const config::SiteConfig& site);

// The config a run hands to the native backend: the document after overrides with
// the resolved launch: block written back and its paths made absolute
// (common/config/config_paths.h), so the file means the same thing wherever it is read from.
std::string effective_config_text(const LoadedConfig& cfg);

}  // namespace trn
