#include "launcher/plan/config_loader.h"

#include <algorithm>

#include "common/config/config_paths.h"
#include "common/config/search_path.h"
#include "launcher/errors.h"

namespace trn {

const char* to_string(Backend b) {
  switch (b) {
    case Backend::kNative: return "native";
    case Backend::kNxdt: return "nxdt";
    case Backend::kTorchNeuron: return "torchneuron";
  }
  return "?";
}

const char* to_string(NeuronCompile n) {
  return n == NeuronCompile::kParallelCompile ? "parallel_compile" : "collect_then_compile";
}

const char* to_string(WarmCachePolicy w) {
  switch (w) {
    case WarmCachePolicy::kRefuse: return "refuse";
    case WarmCachePolicy::kWarn: return "warn";
    case WarmCachePolicy::kOff: return "off";
  }
  return "?";
}

namespace {

// Reads `key` as one of `names` (to_string of each value), or a Problem listing them.
template <typename E, size_t N>
void read_choice(const config::Document& doc, const char* key, const E (&values)[N], E* out, Problems* problems) {
  const auto v = doc.get_string(key, problems);
  if (!v) return;
  std::string list;
  for (E e : values) {
    if (*v == to_string(e)) {
      *out = e;
      return;
    }
    list += (list.empty() ? "" : ", ") + std::string(to_string(e));
  }
  problems->push_back({key, *v, "must be one of " + list});
}

void read_launch_block(const config::Document& doc, const config::SiteConfig& site, LaunchSettings* l,
                       Problems* problems) {
  doc.check_keys("launch", {"backend", "instance", "nodes", "procs_per_node", "allow_devices_mismatch", "ports",
                            "requeue", "log_dir", "script", "partition", "job_name", "time", "sbatch_flags",
                            "max_restarts", "signal_grace", "hang_timeout", "neuron_compile", "compile_slots",
                            "require_warm_cache", "preflight", "cache_dir", "torchtitan_config"},
                 problems);
  doc.check_keys("launch.ports", {"master"}, problems);
  // No default instance here: "" lets launcher/plan/instance_resolution.cc ask the node, the
  // site file and the config, in that order (a site default here would hide the node).
  l->master_ports = site.master_ports;
  l->partition = site.partition;
  if (!site.log_dir.empty()) l->log_dir = site.log_dir;
  l->sbatch_flags = site.sbatch_flags;
  read_choice(doc, "launch.backend", {Backend::kNative, Backend::kNxdt, Backend::kTorchNeuron}, &l->backend, problems);
  auto str = [&](const char* key, std::string* out) {
    if (auto v = doc.get_string(key, problems)) *out = *v;
  };
  str("launch.instance", &l->instance);
  str("launch.ports.master", &l->master_ports);
  str("launch.log_dir", &l->log_dir);
  str("launch.script", &l->script);
  str("launch.cache_dir", &l->cache_dir);
  str("launch.torchtitan_config", &l->torchtitan_config);
  str("launch.partition", &l->partition);
  str("launch.job_name", &l->job_name);
  str("launch.time", &l->time);
  constexpr long long kMaxNodes = 65536, kMaxProcs = 4096;
  l->nodes = doc.get_int("launch.nodes", 1, kMaxNodes, problems);
  l->procs_per_node = doc.get_int("launch.procs_per_node", 1, kMaxProcs, problems);
  if (auto v = doc.get_bool("launch.allow_devices_mismatch", problems)) l->allow_devices_mismatch = *v;
  if (auto v = doc.get_bool("launch.requeue", problems)) l->requeue = *v;
  if (auto v = doc.get_bool("launch.preflight", problems)) l->preflight = *v;
  if (auto v = doc.get_int("launch.max_restarts", 0, 100000, problems)) l->max_restarts = static_cast<int>(*v);
  if (auto v = doc.get_int("launch.signal_grace", 0, 86400, problems)) l->signal_grace = static_cast<int>(*v);
  if (auto v = doc.get_int("launch.hang_timeout", 0, 604800, problems)) l->hang_timeout = static_cast<int>(*v);
  read_choice(doc, "launch.neuron_compile", {NeuronCompile::kCollectThenCompile, NeuronCompile::kParallelCompile},
              &l->neuron_compile, problems);
  read_choice(doc, "launch.require_warm_cache", {WarmCachePolicy::kRefuse, WarmCachePolicy::kWarn, WarmCachePolicy::kOff},
              &l->require_warm_cache, problems);
  if (auto v = doc.get_int("launch.compile_slots", 0, 4096, problems)) l->compile_slots = static_cast<int>(*v);
  if (auto v = doc.get_string_list("launch.sbatch_flags", problems))
    l->sbatch_flags.insert(l->sbatch_flags.end(), v->begin(), v->end());
  if (!l->torchtitan_config.empty()) {
    // TorchTitan is a module (`python3 -m torchtitan.train`), never a script of ours.
    if (l->backend != Backend::kTorchNeuron) {
      problems->push_back({"launch.torchtitan_config", l->torchtitan_config,
                           "is read only by launch.backend: torchneuron (TorchTitan on TorchNeuron); remove it or "
                           "set launch.backend: torchneuron"});
    }
    if (!l->script.empty()) {
      problems->push_back({"launch.script", l->script,
                           "and launch.torchtitan_config both name what the workers run; keep one (TorchTitan: "
                           "launch.torchtitan_config, your own script: launch.script)"});
    }
  }
  if (l->script.empty()) l->script = l->backend == Backend::kNxdt ? "training_orchestrator.py" : "train.py";
}

// launch.torchtitan_config: TorchTitan's TOML, relative to the config's folder like every
// path of the config (common/config/config_paths.h), read here so planning stays pure.
void read_torchtitan(LoadedConfig* cfg, Problems* problems) {
  const std::string& written = cfg->launch.torchtitan_config;
  if (written.empty() || cfg->launch.backend != Backend::kTorchNeuron) return;
  TorchTitanConfig tt;
  if (read_torchtitan_config(written[0] == '/' ? written : cfg->dir + "/" + written, &tt, problems))
    cfg->torchtitan = tt;
}

}  // namespace

LoadedConfig load_config(const std::string& conf, const std::vector<std::string>& overrides,
                         const config::SiteConfig& site) {
  Problems problems;
  LoadedConfig cfg;
  cfg.path = config::resolve_config("CONF_FILE", conf, config::config_search_path(site), &problems);
  throw_if_any(problems);
  const auto slash = cfg.path.rfind('/');
  cfg.dir = cfg.path.substr(0, slash);
  cfg.name = cfg.path.substr(slash + 1);
  cfg.name = cfg.name.substr(0, cfg.name.rfind('.'));
  if (!config::Document::load(cfg.path, &cfg.doc, &problems)) throw InputError(problems);
  cfg.doc.apply_overrides(overrides, &problems);
  for (const auto& arg : overrides)
    if (arg.compare(std::min(arg.find_first_not_of("+~"), arg.size()), 7, "launch.") != 0)  // ++launch.x, ~launch.x too
      cfg.override_args.push_back(arg);
  read_launch_block(cfg.doc, site, &cfg.launch, &problems);
  // The training keys every backend shares (trainer.max_steps=ten is refused here,
  // not later inside the backend): the same reader the native trainer uses.
  config::read_training_config(cfg.doc, &cfg.training, &problems);
  read_torchtitan(&cfg, &problems);
  config::Document resolved = cfg.doc.clone();
  for (const std::string& key : config::make_paths_absolute(&resolved, cfg.dir))
    cfg.absolute_paths.push_back("++" + key + "=" + config::hydra_value(resolved.value(key)));
  if (const YAML::Node mc = resolved.value("model.model_config"); mc.IsScalar()) cfg.model_config_file = mc.Scalar();
  cfg.data_prefixes = config::data_prefix_paths(resolved.value("data.data_prefix"));
  if (cfg.launch.job_name.empty()) cfg.launch.job_name = cfg.name;
  throw_if_any(problems);
  return cfg;
}

config::CacheSources cache_sources(const LoadedConfig* cfg, const config::SiteConfig& site) {
  config::CacheSources s;
  if (cfg) {
    s.config_url = cfg->training.compiler_cache_url;
    s.launch_dir = cfg->launch.cache_dir;
    s.config_dir = cfg->dir;  // relative ones mean the config's folder (cache_location.h)
  }
  s.site_root = site.cache_root;
  s.site_group = site.cache_group;
  s.site_max_size = site.cache_max_size;
  s.site_path = site.path;
  return s;
}

std::string effective_config_text(const LoadedConfig& cfg) {
  config::Document doc = cfg.doc.clone();
  doc.set_string("launch.backend", to_string(cfg.launch.backend));
  doc.set_string("launch.instance", cfg.launch.instance);
  config::make_paths_absolute(&doc, cfg.dir);
  return "# Effective config written by trn-train run: " + cfg.path + " after overrides and site defaults.\n" +
         doc.dump();
}

}  // namespace trn
