#include "cache/compile_scheduler.h"

#include <poll.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <random>
#include <thread>

#include "common/fs.h"
#include "common/launch_env.h"
#include "common/process_identity.h"

namespace trn::cache {

RankInfo RankInfo::from_env() {
  // The launcher's reader, so the cache places this rank exactly as the plan did (Open
  // MPI's variables win over the Slurm step's, which under mpirun describe its daemons).
  // Malformed variables were refused by `trn-train run` already; alone, this rank then
  // counts as a single node.
  RankInfo r;
  LaunchEnv le;
  Problems ignored;
  if (read_launch_env(current_environment(), std::nullopt, &le, &ignored)) {
    r.rank = le.per_worker ? le.task_rank : le.node_rank;
    r.node = le.node_rank;
    r.nodes = le.nodes;
    r.local_rank = le.local_rank;
  }
  r.node_name = ProcessIdentity::self().host;
  return r;
}

namespace {

// One free compile slot of this node (whose slot folder `dir` exists), or none: all held,
// or *error set when a slot lock cannot be written at all (no space, no permission).
std::unique_ptr<ClusterLock> take_slot(const std::string& dir, const RankInfo& me, int slots, const LockTiming& timing,
                                       LockWatch& watch, std::string* error) {
  for (int k = 0; k < slots; ++k) {
    int i = (me.local_rank + k) % slots;
    auto lock = std::make_unique<ClusterLock>(dir + "/slot" + std::to_string(i) + ".lock", timing);
    LockAttempt a = acquire_or_take_over(*lock, watch);
    if (a.acquired) return lock;
    if (!a.error.empty()) {
      *error = a.error;
      return nullptr;
    }
  }
  return nullptr;
}

// Wakes a waiting rank as soon as a compile slot of its node is given back (its lock
// file unlinked or broken), so that the node's next compile starts when one ends, not
// up to a poll interval later. Slots are per node and every rank of a node changes them
// through the same kernel, whose inotify reports them (on NFS too: they are this client's
// own changes). Graphs finished on other nodes are not reported: that wait stays a timed
// poll. Without inotify (or its watch) every wait is a plain sleep.
class SlotWake {
 public:
  explicit SlotWake(const std::string& dir) : fd_(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) {
    if (fd_ >= 0 && ::inotify_add_watch(fd_, dir.c_str(), IN_DELETE | IN_MOVED_FROM | IN_ONLYDIR) < 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }
  ~SlotWake() {
    if (fd_ >= 0) ::close(fd_);
  }
  SlotWake(const SlotWake&) = delete;
  SlotWake& operator=(const SlotWake&) = delete;
  // Forgets what happened so far; called before looking at the slots, so that a release
  // after that look still ends the next wait.
  void drain() { released(); }
  // Sleeps `seconds`, or less when a slot is released meanwhile and `on_release`.
  void wait(double seconds, bool on_release) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    if (fd_ < 0 || !on_release) {
      std::this_thread::sleep_until(until);
      return;
    }
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
      pollfd p{fd_, POLLIN, 0};
      if (left.count() <= 0 || ::poll(&p, 1, int(left.count())) <= 0 || released()) return;
    }
  }

 private:
  // Reads every pending event: true when one was a slot lock going away (a lock's own
  // temp file, made and removed by every acquire, is not).
  bool released() {
    alignas(inotify_event) char buf[4096];
    bool any = false;
    ssize_t n;
    while ((n = ::read(fd_, buf, sizeof buf)) > 0) {
      for (ssize_t at = 0; at < n;) {
        const auto* e = reinterpret_cast<const inotify_event*>(buf + at);
        any = any || (e->len > 0 && !is_leftover_name(e->name));
        at += ssize_t(sizeof(inotify_event) + e->len);
      }
    }
    return any;
  }
  int fd_;
};

}  // namespace

ScheduleSummary compile_distributed(CompileCache& cache, const std::vector<GraphJob>& graphs,
                                    const CompileFn& compile, const RankInfo& me, const ScheduleOptions& opt) {
  ScheduleSummary sum;
  sum.graphs = int(graphs.size());
  const int n = int(graphs.size());
  std::vector<char> resolved(n, 0);
  std::vector<CacheResult> results(n);  // of the resolved graphs: what settled them
  // Graphs settled by now, by anyone (a hit or a recorded failure): a lookup, which
  // never compiles and needs no slot, and since hits cost a stat (no hashing) it is
  // cheap enough to repeat at every poll. Without it a rank noticed the end of the
  // work only once it got one of its node's slots, a slot wait per rank.
  auto settle = [&](bool at_start) {
    for (int i = 0; i < n; ++i) {
      if (resolved[i]) continue;
      CacheResult r = cache.lookup(graphs[i].key);
      if (r.ok() && at_start) sum.cache_hits_at_start++;
      if (!r.ok() && !graphs[i].unusable.empty()) {
        r.outcome = Outcome::kFailed;
        r.message = graphs[i].unusable;
        // Said once, by rank 0, whether or not it prints the summary: the reason must reach the log.
        if (me.rank == 0 && !opt.print_summary) std::fprintf(stderr, "%s%s\n", kLogPrefix, r.message.c_str());
      }
      if (r.ok() || r.outcome == Outcome::kCachedFailure || r.outcome == Outcome::kFailed) {
        resolved[i] = 1;
        results[i] = std::move(r);
      }
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
  const LockTiming& timing = cache.options().timing;
  LockWatch slot_watch(timing);
  const std::string slot_dir = cache.options().dir + "/.slots/" + me.node_name;
  // Slots need a writable folder of the cache. Without one (a read-only cache, another
  // user's folder, no space or quota) waiting for a slot would wait forever: this rank
  // compiles without the node's limit instead, and a cache that cannot take the entry
  // either fails the graph with the cause, as a lookup-or-compile does.
  std::string slot_error;
  cache.make_dirs_in_cache(".slots/" + me.node_name, &slot_error);
  bool warned = false;
  SlotWake wake(slot_dir);
  std::mt19937 rng(unsigned(me.rank * 7919 + ::getpid()));
  double backoff = 0.05;
  const int slots = std::max(1, opt.per_node_parallel);
  for (bool first = true;; first = false) {
    wake.drain();
    if (!first) settle(false);
    if (std::all_of(resolved.begin(), resolved.end(), [](char r) { return r != 0; })) break;
    bool worked = false;
    auto slot = slot_error.empty() ? take_slot(slot_dir, me, slots, timing, slot_watch, &slot_error) : nullptr;
    if (!slot_error.empty() && !warned) {
      std::fprintf(stderr, "%scompile slots unusable (%s): compiling without the limit of %d per node\n", kLogPrefix,
                   slot_error.c_str(), slots);
      warned = true;
    }
    if (slot || !slot_error.empty()) {
      // The slot bounds the node's running compilers; it is given back as soon as the
      // compiler exits, so that hashing and publishing (fsyncs, a large NEFF read
      // once) overlap the node's next compile. The entry lock is held to the end.
      bool slot_used = false;
      const CompileFn compile_in_slot = [&](const CompileRequest& req) {
        int rc = compile(req);
        if (slot) slot->release();
        slot_used = true;
        return rc;
      };
      for (int i : order) {
        if (resolved[i]) continue;
        CacheResult r = cache.try_get_or_compile(graphs[i].key, graphs[i].path, compile_in_slot);
        if (r.outcome == Outcome::kBusy) continue;
        resolved[i] = 1;
        worked = worked || r.outcome == Outcome::kCompiled || r.outcome == Outcome::kFailed;
        results[i] = std::move(r);
        if (slot_used) break;  // one compile per slot turn: other ranks of this node get theirs
      }
      if (slot) slot->release();
    }
    if (worked) {
      backoff = 0.05;
      continue;
    }
    // Polls are cheap (stats per unsettled graph, an open per busy slot), so the
    // wait for other nodes' last graphs is capped at 0.2 s: with 0.5 s the end of a
    // distributed compile was noticed up to 0.6 s late, per node. A rank that found
    // every slot taken wakes when one is given back. (One that had a slot and nothing
    // to compile in it waits for other ranks' compiles to end: a slot given back makes
    // no graph free, and waking on it would have idle ranks wake each other in turn.)
    std::uniform_real_distribution<double> jitter(0.75, 1.25);
    wake.wait(backoff * jitter(rng), !slot);
    backoff = std::min(backoff * 1.5, 0.2);
  }
  // Every graph is settled, each verified by the lookup or compile that settled it
  // (looking all of them up again cost every rank one more pass over the cache).
  for (const CacheResult& r : results) {
    if (r.ok()) {
      sum.succeeded++;
    } else {
      sum.failed++;
      sum.failures.push_back(r.message);
    }
  }
  if (opt.print_summary && me.rank == 0) {
    for (const auto& f : sum.failures) std::fprintf(stderr, "%s%s\n", kLogPrefix, f.c_str());
    std::printf("Total graphs: %d\nTotal successful compilations: %d\nTotal failed compilations: %d\n"
                "Cache hits: %d\n",
                sum.graphs, sum.succeeded, sum.failed, sum.cache_hits_at_start);
    std::fflush(stdout);
  }
  return sum;
}

}  // namespace trn::cache
