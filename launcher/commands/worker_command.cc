#include "launcher/commands/worker_command.h"

#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace trn {
namespace {

constexpr int kMaxCore = 1 << 16;

bool parse_int(const std::string& text, int* out) {
  const char* end = text.data() + text.size();
  auto [p, ec] = std::from_chars(text.data(), end, *out);
  return ec == std::errc() && p == end && *out >= 0 && *out <= kMaxCore;
}

// "0-63", "5", "0-31,64-95": the cores in order; false when malformed or too many.
bool parse_cores(const std::string& text, std::vector<int>* cores) {
  size_t start = 0;
  for (;;) {
    const size_t comma = text.find(',', start);
    const std::string item = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    const size_t dash = item.find('-');
    int lo = 0, hi = 0;
    if (dash == std::string::npos) {
      if (!parse_int(item, &lo)) return false;
      hi = lo;
    } else if (!parse_int(item.substr(0, dash), &lo) || !parse_int(item.substr(dash + 1), &hi) || hi < lo) {
      return false;
    }
    if (cores->size() + static_cast<size_t>(hi - lo + 1) > static_cast<size_t>(kMaxCore)) return false;
    for (int c = lo; c <= hi; ++c) cores->push_back(c);
    if (comma == std::string::npos) return true;
    start = comma + 1;
  }
}

const char* kUnderTorchrun =
    "trn-train worker runs under torchrun, which sets it for each worker; start training with "
    "`srun trn-train run` (one task per node), not `trn-train worker` by hand";

}  // namespace

std::optional<int> worker_core(const EnvMap& env, Problems* problems) {
  const size_t before = problems->size();
  int local_rank = 0, local_world = 0;
  const auto lr = lookup(env, "LOCAL_RANK"), lws = lookup(env, "LOCAL_WORLD_SIZE");
  if (!lr || !parse_int(*lr, &local_rank)) problems->push_back({"LOCAL_RANK", lr.value_or("(unset)"), kUnderTorchrun});
  if (!lws || !parse_int(*lws, &local_world) || local_world < 1)
    problems->push_back({"LOCAL_WORLD_SIZE", lws.value_or("(unset)"), kUnderTorchrun});
  if (problems->size() != before) return std::nullopt;
  if (local_rank >= local_world) {
    problems->push_back({"LOCAL_RANK", *lr, "must be below LOCAL_WORLD_SIZE = " + *lws + "; " + kUnderTorchrun});
    return std::nullopt;
  }
  std::vector<int> cores;
  const auto visible = lookup(env, "NEURON_RT_VISIBLE_CORES");
  if (!visible || visible->empty()) {
    // No plugin, no user choice: the node's cores, one per worker.
    return local_rank;
  }
  if (!parse_cores(*visible, &cores)) {
    problems->push_back({"NEURON_RT_VISIBLE_CORES", *visible,
                         "is not a core range (\"A-B\", \"A\" or a comma list of them); fix or unset it"});
    return std::nullopt;
  }
  if (static_cast<int>(cores.size()) != local_world) {
    problems->push_back({"NEURON_RT_VISIBLE_CORES",
                         *visible + " (" + std::to_string(cores.size()) + " cores for LOCAL_WORLD_SIZE = " + *lws +
                             " workers)",
                         "every TorchNeuron worker needs exactly one core of this task's range: run one task per "
                         "node (srun --ntasks-per-node=1) so the plugin gives the task all of the node's " +
                             *lws + " cores, or unset NEURON_RT_VISIBLE_CORES"});
    return std::nullopt;
  }
  return cores[static_cast<size_t>(local_rank)];
}

const char* worker_help() {
  return "Usage: trn-train worker [--] COMMAND [ARG...]\n"
         "\n"
         "The exec step between torchrun and one TorchNeuron worker; `trn-train run` starts it\n"
         "(torchrun --no-python <bindir>/trn-train worker python3 ...), you do not.\n"
         "Sets NEURON_RT_VISIBLE_CORES to the one core LOCAL_RANK picks from this task's range\n"
         "(NEURON_RT_VISIBLE_CORES as Slurm's plugin set it; unset: cores 0..LOCAL_WORLD_SIZE-1),\n"
         "then replaces itself with COMMAND. The range must hold LOCAL_WORLD_SIZE cores.\n"
         "Exit status: 2 for bad input (nothing started), 127 when COMMAND cannot run,\n"
         "otherwise COMMAND's.\n";
}

int worker_command(const std::vector<std::string>& argv) {
  size_t first = 0;
  if (!argv.empty() && (argv[0] == "-h" || argv[0] == "--help")) {
    std::fputs(worker_help(), stdout);
    return 0;
  }
  if (!argv.empty() && argv[0] == "--") first = 1;
  Problems problems;
  if (first >= argv.size()) {
    problems.push_back({"trn-train worker", "(no command)", "give the worker's command: trn-train worker python3 "
                                                            "train.py (see trn-train worker --help)"});
    return report_problems("trn-train", problems);
  }
  const std::optional<int> core = worker_core(current_environment(), &problems);
  if (!core) return report_problems("trn-train", problems);
  ::setenv("NEURON_RT_VISIBLE_CORES", std::to_string(*core).c_str(), 1);
  std::vector<char*> args;
  for (size_t i = first; i < argv.size(); ++i) args.push_back(const_cast<char*>(argv[i].c_str()));
  args.push_back(nullptr);
  std::fflush(nullptr);
  ::execvp(args[0], args.data());
  std::fprintf(stderr, "trn-train: error: %s = (cannot run it: %s): activate the Python environment that has it "
               "in the job script, so every node's PATH has it\n", args[0], std::strerror(errno));
  return 127;
}

}  // namespace trn
