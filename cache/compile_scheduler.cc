#include "cache/compile_scheduler.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <thread>

#include "common/fs.h"
#include "common/process_identity.h"

namespace trn::cache {

static int env_int(const char* a, const char* b, int fallback) {
  for (const char* n : {a, b}) {
    if (!n) continue;
    const char* v = std::getenv(n);
    if (v && *v) return std::atoi(v);
  }
  return fallback;
}

RankInfo RankInfo::from_env() {
  RankInfo r;
  r.rank = env_int("SLURM_PROCID", nullptr, 0);
  r.node = env_int("SLURM_NODEID", nullptr, 0);
  r.nodes = std::max(1, env_int("SLURM_STEP_NUM_NODES", "SLURM_NNODES", 1));
  r.local_rank = env_int("SLURM_LOCALID", nullptr, 0);
  r.node_name = ProcessIdentity::self().host;
  return r;
}

namespace {

// Takes one free compile slot of this node, or none.
std::unique_ptr<ClusterLock> take_slot(CompileCache& cache, const RankInfo& me, int slots, LockWatch& watch) {
  std::string dir = cache.options().dir + "/.slots/" + me.node_name;
  if (!cache.make_dirs_in_cache(".slots/" + me.node_name, nullptr)) return nullptr;
  for (int k = 0; k < slots; ++k) {
    int i = (me.local_rank + k) % slots;
    std::string path = dir + "/slot" + std::to_string(i) + ".lock";
    auto lock = std::make_unique<ClusterLock>(path, cache.options().timing);
    if (acquire_or_take_over(*lock, watch).acquired) return lock;
  }
  return nullptr;
}

}  // namespace

ScheduleSummary compile_distributed(CompileCache& cache, const std::vector<GraphJob>& graphs,
                                    const CompileFn& compile, const RankInfo& me, const ScheduleOptions& opt) {
  ScheduleSummary sum;
  sum.graphs = int(graphs.size());
  const int n = int(graphs.size());
  std::vector<char> resolved(n, 0);
  // Graphs settled by now, by anyone (a hit or a recorded failure): a lookup, which
  // never compiles and needs no slot, and since hits cost a stat (no hashing) it is
  // cheap enough to repeat at every poll. Without it a rank noticed the end of the
  // work only once it got one of its node's slots, a slot wait per rank.
  auto settle = [&](bool at_start) {
    for (int i = 0; i < n; ++i) {
      if (resolved[i]) continue;
      CacheResult r = cache.lookup(graphs[i].key);
      if (r.ok() || r.outcome == Outcome::kCachedFailure) resolved[i] = 1;
      if (r.ok() && at_start) sum.cache_hits_at_start++;
    }
  };
  settle(true);
  // Own node's share first (starting at a rank-dependent offset so ranks of one
  // node do not all race for the same graph), then everyone else's.
  std::vector<int> order;
  for (int pass = 0; pass < 2; ++pass)
    for (int k = 0; k < n; ++k) {
      int i = (k + me.local_rank) % n;
      if ((i % me.nodes == me.node) == (pass == 0)) order.push_back(i);
    }
  LockWatch slot_watch(cache.options().timing);
  std::mt19937 rng(unsigned(me.rank * 7919 + ::getpid()));
  double backoff = 0.05;
  const int slots = std::max(1, opt.per_node_parallel);
  for (bool first = true;; first = false) {
    if (!first) settle(false);
    if (std::all_of(resolved.begin(), resolved.end(), [](char r) { return r != 0; })) break;
    bool worked = false;
    auto slot = take_slot(cache, me, slots, slot_watch);
    if (slot) {
      // The slot bounds the node's running compilers; it is given back as soon as the
      // compiler exits, so that hashing and publishing (fsyncs, a large NEFF read
      // once) overlap the node's next compile. The entry lock is held to the end.
      bool slot_used = false;
      const CompileFn compile_in_slot = [&](const CompileRequest& req) {
        int rc = compile(req);
        slot->release();
        slot_used = true;
        return rc;
      };
      for (int i : order) {
        if (resolved[i]) continue;
        CacheResult r = cache.try_get_or_compile(graphs[i].key, graphs[i].path, compile_in_slot);
        if (r.outcome == Outcome::kBusy) continue;
        resolved[i] = 1;
        worked = worked || r.outcome == Outcome::kCompiled || r.outcome == Outcome::kFailed;
        if (slot_used) break;  // one compile per slot turn: other ranks of this node get theirs
      }
      slot->release();
    }
    if (worked) {
      backoff = 0.05;
      continue;
    }
    // Polls are cheap (stats per unsettled graph, an open per busy slot), so the
    // wait for a slot or for other nodes' last graphs is capped at 0.2 s: with 0.5 s
    // the end of a distributed compile was noticed up to 0.6 s late, per node.
    std::uniform_real_distribution<double> jitter(0.75, 1.25);
    std::this_thread::sleep_for(std::chrono::duration<double>(backoff * jitter(rng)));
    backoff = std::min(backoff * 1.5, 0.2);
  }
  // Every rank ends by fetching (and verifying) every artifact.
  for (const auto& g : graphs) {
    CacheResult r = cache.get_or_compile(g.key, g.path, compile);
    if (r.ok()) {
      sum.succeeded++;
    } else {
      sum.failed++;
      sum.failures.push_back(r.message);
    }
  }
  if (me.rank == 0) {
    for (const auto& f : sum.failures) std::fprintf(stderr, "%s%s\n", kLogPrefix, f.c_str());
    std::printf("Total graphs: %d\nTotal successful compilations: %d\nTotal failed compilations: %d\n"
                "Cache hits: %d\n",
                sum.graphs, sum.succeeded, sum.failed, sum.cache_hits_at_start);
    std::fflush(stdout);
  }
  return sum;
}

}  // namespace trn::cache
