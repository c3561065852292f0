// The warm-cache check before a COMPILE=0 Neuron run (issue 9, item 3): how many of
// the graphs this run needs are compiled (SUCCESS), FAILED, or missing (extracted by
// `--command collect` but never compiled, still locked, or absent);
// launch.require_warm_cache decides what a cold cache does: refuse (exit 2 before any
// rank starts), warn, or off. Without it a cold cache shows up as every rank compiling
// just in time, for hours, on every node.
//
// Which graphs (issue 20): for nxdt those its COMPILE=1 job recorded for this config and
// shape (launcher/neuron/job_graphs.h), never the whole shared cache, where other jobs'
// FAILED and EMPTY entries stay for `trn-train cache status/clean`; when no such job
// recorded them the check says so instead of guessing. TorchNeuron has no COMPILE=1 job,
// so its check still counts every graph of the compiler's folder.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/problem.h"
#include "launcher/neuron/job_graphs.h"
#include "launcher/plan/config_loader.h"

namespace trn {

struct CompilerGraphs {
  std::string compiler_dir;  // "neuronxcc-2.15.128.0+56dc5a86"
  int success = 0, failed = 0, missing = 0;
};

// I/O: counts the entries of every neuronxcc-* folder under `root` (directory listing
// and lstat only; no artifact is read).
std::vector<CompilerGraphs> count_cache_graphs(const std::string& root);
// I/O: counts `graphs` by the state of their entries under `root`, per compiler folder
// (an entry that is not there, not compiled yet or locked is missing).
std::vector<CompilerGraphs> count_listed_graphs(const std::string& root, const std::set<GraphRef>& graphs);

// Which graphs the counts are of.
struct GraphScope {
  enum Kind { kWholeCache, kConfig, kUnknown };
  Kind kind = kWholeCache;
  std::string record;  // kConfig/kUnknown: where this config's graphs are (or would be) recorded
  std::string why;     // kUnknown: why the record could not be used ("" = no job recorded it)
};

struct WarmCacheVerdict {
  std::vector<std::string> report;  // one line per compiler folder
  std::optional<Problem> problem;   // refuse: why, and the fix
  std::string warning;              // warn: the same, as a warning
};

// Pure. `installed_dir` is the installed compiler's folder ("" when unknown: then the
// newest version found is judged). Warm means that folder has graphs, none FAILED or missing.
// `backend` picks the fix: nxdt's cache is warmed by the COMPILE=1 job; TorchNeuron's only
// by a first short training run (it has no ahead-of-time compile, COMPILE=1 is refused).
// `scope` says whose graphs `counts` are: kUnknown judges nothing and says so (refused or
// warned about as a cold cache is).
WarmCacheVerdict judge_warm_cache(const std::vector<CompilerGraphs>& counts, const std::string& root,
                                  const std::string& installed_dir, WarmCachePolicy policy,
                                  Backend backend = Backend::kNxdt, const GraphScope& scope = {});

}  // namespace trn
