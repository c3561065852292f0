#include "launcher/commands/backend_programs.h"

#include <sys/stat.h>
#include <unistd.h>

#include "common/fs.h"
#include "launcher/neuron/neuron_sdk.h"

namespace trn {
namespace {

bool executable_file(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

// Where a missing program comes from, so the fix names the package.
std::string fix_for(const std::string& name, const Plan& p) {
  if (name == "neuron_parallel_compile") {
    return "COMPILE=1 with the nxdt backend runs the Neuron SDK's neuron_parallel_compile (package torch-neuronx, "
           "SDK <= " + std::string(kLastNxdtSdk) + "): activate that Python environment in the job script, or train "
           "with COMPILE=0";
  }
  if (name == "neuronx-cc") {
    return "COMPILE=1 with launch.neuron_compile = collect_then_compile compiles the collected graphs with the "
           "Neuron compiler neuronx-cc (package neuronx-cc): activate the SDK's Python environment in the job "
           "script, or set launch.neuron_compile=parallel_compile";
  }
  if (name == "torchrun" || name == "python3") {
    return std::string("the ") + to_string(p.backend) + " backend starts " + name +
           " from the Neuron SDK's PyTorch environment: activate it (source <venv>/bin/activate) in the job "
           "script before srun, so every node's PATH has it";
  }
  return "not found; install it or put its folder on PATH";
}

bool writable_dir(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode) && ::access(path.c_str(), W_OK | X_OK) == 0;
}

}  // namespace

std::string find_program(const std::string& name, const std::string& path_env) {
  if (name.find('/') != std::string::npos) return executable_file(name) ? name : "";
  size_t start = 0;
  for (;;) {
    const size_t colon = path_env.find(':', start);
    std::string dir = path_env.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
    if (dir.empty()) dir = ".";
    if (const std::string candidate = dir + "/" + name; executable_file(candidate)) return candidate;
    if (colon == std::string::npos) return "";
    start = colon + 1;
  }
}

Problems check_backend_programs(const Plan& p, const std::string& path_env) {
  Problems problems;
  if (p.command.empty()) return problems;
  std::vector<std::string> programs{p.command[0]};
  const std::string& first = p.command[0];
  if (first.substr(first.rfind('/') + 1) == "neuron_parallel_compile") {
    size_t i = 1;
    // `--command collect`: `run` compiles the collected graphs itself with neuronx-cc.
    if (p.command.size() > 2 && p.command[1] == "--command") {
      if (p.command[2] == "collect") programs.push_back("neuronx-cc");
      i = 3;
    }
    if (i < p.command.size()) programs.push_back(p.command[i]);
  }
  for (const auto& name : programs) {
    if (const std::string found = find_program(name, path_env); !found.empty()) {
      // The launcher of the workers (torchrun, python3) tells which torch they get.
      if (const bool launcher = &name == &programs.back() && p.backend != Backend::kNative; launcher) {
        if (auto torch = torch_next_to(found)) {
          const Problems sdk = check_torch_for_backend(p.backend, *torch);
          problems.insert(problems.end(), sdk.begin(), sdk.end());
        }
      }
      continue;
    }
    if (p.backend == Backend::kNative) {
      problems.push_back({"launch.backend", "native",
                          "the bundled trainer " + name + " is missing or not executable; build it (make) or "
                          "install trn-train-native next to trn-train"});
    } else {
      problems.push_back({name, name.find('/') == std::string::npos ? "(not on PATH)" : "(not executable)",
                          fix_for(name, p)});
    }
  }
  const Problems cache = check_cache_location(p.cache);
  problems.insert(problems.end(), cache.begin(), cache.end());
  return problems;
}

Problems check_cache_location(const CacheSettings& cache) {
  const std::string& dir = cache.dir;
  std::string key = cache.dir_source;
  if (const auto in = key.find(" in the config"); in != std::string::npos) key.resize(in);
  if (dir.empty() || dir.rfind("s3://", 0) == 0) return {};  // "": no cache in this plan
  if (const auto scheme = dir.find("://"); scheme != std::string::npos) {
    return {{key, dir, "the scheme " + dir.substr(0, scheme) + ":// is not supported; use a shared filesystem path "
                       "(or file://PATH), or s3://BUCKET/PREFIX for Neuron's own S3 cache"}};
  }
  if (dir[0] != '/') {
    return {{key, dir, "must be an absolute path: every node resolves it in its own working folder otherwise"}};
  }
  // The nearest existing folder must take the cache (or be it).
  const std::string existing = nearest_existing_path(dir);
  if (writable_dir(existing)) return {};
  struct stat st {};
  const bool is_dir = ::stat(existing.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
  const std::string why = existing == dir ? "is not a folder this user can write in"
                                          : "does not exist and cannot be made: " + existing +
                                                (is_dir ? " is not writable" : " is not a folder");
  return {{key, dir, why + "; mount the shared filesystem on every node, or choose another cache folder"}};
}

}  // namespace trn
