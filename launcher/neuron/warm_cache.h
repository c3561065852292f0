// The warm-cache check before a COMPILE=0 Neuron run (issue 9, item 3): how many of
// the graphs a precompile left in the cache are compiled (SUCCESS), FAILED, or missing
// (extracted by `--command collect` but never compiled, or still locked), per compiler
// version folder; launch.require_warm_cache decides what a cold cache does: refuse
// (exit 2 before any rank starts), warn, or off. Without it a cold cache shows up as
// every rank compiling just in time, for hours, on every node.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/problem.h"
#include "launcher/plan/config_loader.h"

namespace trn {

struct CompilerGraphs {
  std::string compiler_dir;  // "neuronxcc-2.15.128.0+56dc5a86"
  int success = 0, failed = 0, missing = 0;
};

// I/O: counts the entries of every neuronxcc-* folder under `root` (directory listing
// and lstat only; no artifact is read).
std::vector<CompilerGraphs> count_cache_graphs(const std::string& root);

struct WarmCacheVerdict {
  std::vector<std::string> report;  // one line per compiler folder
  std::optional<Problem> problem;   // refuse: why, and the fix
  std::string warning;              // warn: the same, as a warning
};

// Pure. `installed_dir` is the installed compiler's folder ("" when unknown: then the
// newest version found is judged). Warm means that folder has graphs, none FAILED or missing.
// `backend` picks the fix: nxdt's cache is warmed by the COMPILE=1 job; TorchNeuron's only
// by a first short training run (it has no ahead-of-time compile, COMPILE=1 is refused).
WarmCacheVerdict judge_warm_cache(const std::vector<CompilerGraphs>& counts, const std::string& root,
                                  const std::string& installed_dir, WarmCachePolicy policy,
                                  Backend backend = Backend::kNxdt);

}  // namespace trn
