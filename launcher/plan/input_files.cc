#include "launcher/plan/input_files.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "launcher/plan/script_path.h"

namespace trn {
namespace {

void require_readable(const std::string& key, const std::string& path, const std::string& node, Problems* out) {
  if (::access(path.c_str(), R_OK) == 0) return;
  out->push_back({key, path + " (on " + node + ")",
                  std::string(std::strerror(errno)) + ": every node reads it; fix the path, or make the filesystem "
                  "that holds it readable on " + node});
}

}  // namespace

std::optional<Problem> check_nxdt_script(const LoadedConfig& cfg) {
  std::string found;
  Problem problem;
  if (find_script_here(cfg.launch.script, cfg.dir, &found, &problem)) return std::nullopt;
  return problem;
}

Problems check_input_files(const LoadedConfig& cfg, const std::string& node) {
  Problems out;
  if (!cfg.model_config_file.empty()) require_readable("model.model_config", cfg.model_config_file, node, &out);
  for (const std::string& prefix : cfg.data_prefixes) {
    require_readable("data.data_prefix", prefix + ".bin", node, &out);
    require_readable("data.data_prefix", prefix + ".idx", node, &out);
  }
  // nxdt: the script as planning resolved it, or where it was looked for
  // (launcher/plan/script_path.h); torchneuron: its TorchTitan job config, or its script
  // from the working directory, as torchrun runs it.
  if (cfg.launch.backend == Backend::kNxdt) {
    if (auto p = check_nxdt_script(cfg)) out.push_back({p->key, p->value + " (on " + node + ")", p->fix});
  } else if (cfg.torchtitan) {
    require_readable("launch.torchtitan_config", cfg.torchtitan->path, node, &out);
  } else if (cfg.launch.backend != Backend::kNative) {
    require_readable("launch.script", cfg.launch.script, node, &out);
  }
  return out;
}

}  // namespace trn
