// Distributed ahead-of-time compile (COMPILE=1): every rank of every node runs
// this with the same graph list. Work is shared without a coordinator, through
// the cache itself:
//  * per-node parallelism: a rank runs the compiler only while holding one of P
//    "slot" locks of its node (<root>/.slots/<node>/slotI.lock, heartbeat + stale
//    takeover like entry locks), so 32 ranks on a node run at most P compilers;
//    the slot is given back when the compiler exits, before publishing; where no
//    slot can be written (read-only cache, no space) a rank compiles without one,
//    saying so, rather than wait for a slot that can never exist;
//  * fair share: graph i belongs first to node i % nodes, so every node starts
//    on its own graphs at once;
//  * stealing: a slot holder with nothing left of its own share takes any graph
//    nobody holds (a dead rank's graphs come back after stale_s);
//  * the per-key entry lock still guarantees a graph is compiled once.
//  * waiting ranks poll with lookups (no slot needed: a hit is a stat, no hash);
//    one waiting for a slot wakes when a rank of its node gives one back.
// A rank returns when every graph is settled (compiled or failed, by anyone); rank 0
// prints the summary lines log parsers know from neuron_parallel_compile (unless told not to).
#pragma once

#include <string>
#include <vector>

#include "cache/compile_cache.h"

namespace trn::cache {

struct RankInfo {
  int rank = 0, node = 0, nodes = 1, local_rank = 0;
  std::string node_name;
  // From the launch environment as the launcher reads it (common/launch_env.h: Open MPI,
  // Slurm, Batch, torchrun); a single-process default otherwise.
  static RankInfo from_env();
};

struct GraphJob {
  std::string path;  // graph file
  CacheKey key;
  // Non-empty: why this graph must not be compiled (e.g. its compile_flags.json is
  // missing), with the fix. Unless its entry is already compiled, it settles as a
  // failure with this message, without running the compiler.
  std::string unusable = {};
};

struct ScheduleOptions {
  int per_node_parallel = 1;
  // Rank 0 prints the bare summary lines; off for a caller that prints its own
  // (trn-train neuron-compile prints them with its prefix after a verify pass).
  bool print_summary = true;
};

struct ScheduleSummary {
  int graphs = 0, succeeded = 0, failed = 0;
  int cache_hits_at_start = 0;  // graphs already valid when this rank started
  std::vector<std::string> failures;  // messages
};

ScheduleSummary compile_distributed(CompileCache& cache, const std::vector<GraphJob>& graphs,
                                    const CompileFn& compile, const RankInfo& me, const ScheduleOptions& opt);

}  // namespace trn::cache
