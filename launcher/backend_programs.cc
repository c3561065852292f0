#include "launcher/backend_programs.h"

#include <sys/stat.h>
#include <unistd.h>

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
           "SDK <= 2.28): activate that Python environment in the job script, or train with COMPILE=0";
  }
  if (name == "torchrun" || name == "python3") {
    return std::string("the ") + to_string(p.backend) + " backend starts " + name +
           " from the Neuron SDK's PyTorch environment: activate it (source <venv>/bin/activate) in the job "
           "script before srun, so every node's PATH has it";
  }
  return "not found; install it or put its folder on PATH";
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
  if (first.substr(first.rfind('/') + 1) == "neuron_parallel_compile" && p.command.size() > 1)
    programs.push_back(p.command[1]);
  for (const auto& name : programs) {
    if (!find_program(name, path_env).empty()) continue;
    if (p.backend == Backend::kNative) {
      problems.push_back({"launch.backend", "native",
                          "the bundled trainer " + name + " is missing or not executable; build it (make) or "
                          "install trn-train-native next to trn-train"});
    } else {
      problems.push_back({name, name.find('/') == std::string::npos ? "(not on PATH)" : "(not executable)",
                          fix_for(name, p)});
    }
  }
  return problems;
}

}  // namespace trn
