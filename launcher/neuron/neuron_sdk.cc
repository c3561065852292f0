#include "launcher/neuron/neuron_sdk.h"

#include <dirent.h>

#include <charconv>
#include <vector>

namespace trn {
namespace {

std::vector<std::string> entries(const std::string& dir) {
  std::vector<std::string> out;
  if (DIR* d = ::opendir(dir.c_str())) {
    while (const dirent* e = ::readdir(d)) out.emplace_back(e->d_name);
    ::closedir(d);
  }
  return out;
}

// "torch-2.10.0+cpu.dist-info" -> 2, 10
bool parse_dist_info(const std::string& name, TorchInstall* out) {
  const std::string prefix = "torch-", suffix = ".dist-info";
  if (name.rfind(prefix, 0) != 0 || name.size() <= prefix.size() + suffix.size() ||
      name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0)
    return false;
  out->version = name.substr(prefix.size(), name.size() - prefix.size() - suffix.size());
  const char* p = out->version.data();
  const char* end = p + out->version.size();
  auto r = std::from_chars(p, end, out->major);
  if (r.ec != std::errc() || r.ptr == end || *r.ptr != '.') return false;
  return std::from_chars(r.ptr + 1, end, out->minor).ec == std::errc();
}

}  // namespace

std::optional<TorchInstall> torch_next_to(const std::string& torchrun_path) {
  const auto slash = torchrun_path.rfind('/');
  if (slash == std::string::npos) return std::nullopt;
  const std::string lib = torchrun_path.substr(0, slash) + "/../lib";
  for (const auto& py : entries(lib)) {
    if (py.rfind("python3", 0) != 0) continue;
    for (const char* kind : {"/site-packages", "/dist-packages"}) {
      const std::string packages = lib + "/" + py + kind;
      for (const auto& name : entries(packages)) {
        TorchInstall t;
        if (!parse_dist_info(name, &t)) continue;
        t.where = packages + "/" + name;
        return t;
      }
    }
  }
  return std::nullopt;
}

Problems check_torch_for_backend(Backend backend, const TorchInstall& t) {
  const bool xla_era = t.major < 2 || (t.major == 2 && t.minor <= 9);
  if (backend == Backend::kNxdt && !xla_era) {
    return {{"launch.backend", "nxdt",
             "needs PyTorch/XLA, which ends with PyTorch 2.9 (Neuron SDK " + std::string(kLastNxdtSdk) +
                 " is the last release with NxD Training), but torchrun's environment has torch " + t.version + " (" +
                 t.where + "); activate a Neuron SDK <= " + kLastNxdtSdk +
                 " environment, or train with launch.backend=torchneuron"}};
  }
  if (backend == Backend::kTorchNeuron && xla_era) {
    return {{"launch.backend", "torchneuron",
             "needs TorchNeuron (native PyTorch on Neuron, PyTorch >= 2.10), but torchrun's environment has torch " +
                 t.version + " (" + t.where + "), the PyTorch/XLA generation; activate a TorchNeuron environment "
                 "(Neuron SDK >= 2.29 with PyTorch 2.10 or later), or use launch.backend=nxdt"}};
  }
  return {};
}

}  // namespace trn
