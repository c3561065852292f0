// The compile cache's request flow: opening a cache root, lookups, and the
// get-or-compile loop that waits (with backoff and progress lines) while another
// process compiles the same key. Entry checks are in entry_check.cc, compiling and
// publishing in compile_publish.cc.
#include "cache/compile_cache.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <thread>

#include "common/fs.h"
#include "common/process_identity.h"

namespace trn::cache {

void CompileCache::log(const std::string& line) const {
  if (!opt_.quiet) std::fprintf(stderr, "%s%s\n", kLogPrefix, line.c_str());
}

bool CompileCache::open(const CacheOptions& options, std::unique_ptr<CompileCache>* out, std::string* error) {
  CacheOptions o = options;
  if (o.dir.rfind("s3://", 0) == 0) {
    *error = "cache dir " + o.dir + ": S3 caches are not supported by trn-train's cache; use a shared "
             "filesystem path (FSx, NFS) or a local path";
    return false;
  }
  while (o.dir.size() > 1 && o.dir.back() == '/') o.dir.pop_back();
  std::string terr;
  TrustPolicy trust = TrustPolicy::for_current_user(o.group, &terr);
  if (!terr.empty()) {
    *error = terr;
    return false;
  }
  struct stat st;
  if (::stat(o.dir.c_str(), &st) == 0 && !S_ISDIR(st.st_mode)) {
    *error = "cache dir " + o.dir + " is a file, not a directory (fix: remove or rename it, or point "
             "--dir / TRN_TRAIN_CACHE_DIR / NEURON_COMPILE_CACHE_URL elsewhere)";
    return false;
  }
  std::string merr;
  if (!make_shared_dirs(o.dir, dir_mode(trust), shared_group(trust), &merr)) {
    *error = "cannot create cache dir " + o.dir + ": " + merr +
             " (fix: create it with write permission for this user, or choose another --dir)";
    return false;
  }
  std::string why;
  if (!is_trusted(o.dir, trust, &why)) {
    *error = why;
    return false;
  }
  out->reset(new CompileCache(o));
  (*out)->opened_at_ = wall_seconds();
  (*out)->trust_ = trust;
  return true;
}

CompileCache::~CompileCache() {
  flush_stats();
  for (const auto& held : version_dirs_) ::close(held.second.fd);
}

void CompileCache::flush_stats() {
  Counters zero;
  if (counters_.as_map() == zero.as_map()) return;
  trn::cache::flush_stats(opt_.dir, counters_, trust_);
  counters_ = Counters{};
}

bool CompileCache::make_dirs_in_cache(const std::string& rel, std::string* error) const {
  return make_dirs_beneath(opt_.dir, rel, dir_mode(trust_), shared_group(trust_), error);
}

CacheResult CompileCache::lookup(const CacheKey& key) {
  const std::string dir = entry_dir(key);
  std::string why;
  CacheResult r;
  Check c = check_entry(dir, &why, true);
  if (settled_without_compile(c, dir, why, &r)) return r;
  if (c == Check::kFailed && !should_retry(dir)) return cached_failure(dir);
  return r;  // a miss: kError with an empty message
}

static bool is_miss(const CacheResult& r) { return r.outcome == Outcome::kError && r.message.empty(); }

CacheResult CompileCache::try_get_or_compile(const CacheKey& key, const std::string& graph_path,
                                             const CompileFn& compile) {
  CacheResult r = lookup(key);
  if (r.outcome == Outcome::kCachedFailure) counters_.cached_failures++;
  if (!is_miss(r)) return r;
  const std::string dir = entry_dir(key);
  std::string err;
  if (!make_dirs_in_cache(key.relative_dir(), &err)) {
    r.message = "cannot create cache entry: " + err;
    return r;
  }
  ClusterLock lock(dir + "/" + files::kLock, opt_.timing);
  LockAttempt a = acquire_or_take_over(lock, watch_);
  if (a.broke_stale) {
    counters_.stale_takeovers++;
    log("taking over the stale lock on " + dir + " held by " + a.holder.owner.describe() + " (no heartbeat for " +
        std::to_string(int(std::max(a.holder.idle_s, a.holder.age_s))) + " s)");
  }
  if (a.acquired) return compile_locked(key, dir, graph_path, compile, lock);
  if (!a.error.empty()) {
    r.message = a.error + " (the cache dir must be writable to compile into it: fix its permissions or "
                          "free space, or choose another --dir)";
    return r;
  }
  r.outcome = Outcome::kBusy;
  // Empty: the lock was just released or broken, try again at once.
  if (a.holder.exists && !a.broke_stale)
    r.message = !a.holder.foreign
                    ? a.holder.owner.describe()
                    : "a Neuron SDK process (neuron_parallel_compile or torch-neuronx; its lock " + lock.path() +
                          " has no heartbeat, so it is waited for until it is " +
                          std::to_string(int(kForeignLockStaleS / 3600)) + " h old; if no Neuron compile runs, "
                          "`trn-train cache clear-locks` removes it)";
  return r;
}

CacheResult CompileCache::get_or_compile(const CacheKey& key, const std::string& graph_path,
                                         const CompileFn& compile) {
  std::mt19937 rng(unsigned(ProcessIdentity::self().pid) ^ unsigned(unique_counter()));
  double backoff = 0.05;
  double last_report = -1e9, started = mono_seconds();
  bool waited = false;
  for (;;) {
    CacheResult r = try_get_or_compile(key, graph_path, compile);
    if (r.outcome != Outcome::kBusy) {
      if (r.outcome == Outcome::kCompiled || r.outcome == Outcome::kError) counters_.misses++;
      if (waited && r.ok() && !opt_.quiet && mono_seconds() - started > opt_.report_every_s)
        log("done waiting for " + key.relative_dir() + " after " + std::to_string(int(mono_seconds() - started)) + " s");
      return r;
    }
    if (!waited) counters_.lock_waits++;
    waited = true;
    double now = mono_seconds();
    if (!r.message.empty() && now - last_report >= opt_.report_every_s) {
      log("waiting for " + key.relative_dir() + ": being compiled by " + r.message);
      last_report = now;
    }
    if (r.message.empty()) {  // lock just released or broken: try again almost at once
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      continue;
    }
    std::uniform_real_distribution<double> jitter(0.75, 1.25);
    std::this_thread::sleep_for(std::chrono::duration<double>(backoff * jitter(rng)));
    backoff = std::min(backoff * 1.5, std::max(0.2, opt_.timing.heartbeat_s / 2));
  }
}

}  // namespace trn::cache
