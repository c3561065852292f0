// The shared compile cache: "give me the artifact for this graph, compiling it
// at most once across the whole cluster". Used by the native engine (graphs ->
// shared objects), the Neuron backends (their neuronxcc-*/MODULE_* tree) and
// `trn-train cache`.
//
//   CacheOptions opt = CacheOptions::from_env();
//   std::unique_ptr<CompileCache> cache;
//   if (!CompileCache::open(opt, &cache, &err)) die(err);
//   CacheKey key = make_key({"g++", "13.2.0"}, {"-O2"}, graph_bytes);
//   CacheResult r = cache->get_or_compile(key, graph_path, command_compiler({"cc", "{in}", "-o", "{out}"}));
//   if (!r.ok()) die(r.message);  else dlopen(r.artifact_path)
//
// Guarantees: the returned artifact matched its recorded sha256 when returned;
// a partial or corrupt entry is never returned (it is recompiled instead); at
// most one live process compiles a key; a dead compiler's lock is taken over
// after stale_s; a recorded failure is returned as such unless retry_failed.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string>

#include "cache/cache_key.h"
#include "cache/cluster_lock.h"
#include "cache/compiler_runner.h"
#include "cache/entry_layout.h"
#include "cache/permissions.h"
#include "cache/stats.h"

namespace trn::cache {

struct CacheOptions {
  std::string dir;             // cache root
  std::string group;           // group allowed to share (and write) the cache; "" = owner only
  LockTiming timing;           // heartbeat_s / stale_s
  bool retry_failed = false;   // recompile entries that failed before
  uint64_t max_bytes = 0;      // size limit for the janitor; 0 = none
  bool quiet = false;          // no progress lines ("waiting for ...")
  double report_every_s = 30;  // how often a waiter repeats whom it waits for
  // Environment: TRN_TRAIN_CACHE_DIR, else --cache_dir= in NEURON_CC_FLAGS, else
  // NEURON_COMPILE_CACHE_URL, else /var/tmp/neuron-compile-cache; TRN_CACHE_GROUP,
  // TRN_CACHE_HEARTBEAT_S, TRN_CACHE_STALE_S, TRN_CACHE_RETRY_FAILED=1 (or
  // --retry_failed_compilation in NEURON_CC_FLAGS), TRN_CACHE_MAX_SIZE (e.g. 200G).
  static CacheOptions from_env();
};

std::string default_cache_dir();
// "200G", "1.5T", "512M", "1000" -> bytes; false on junk.
bool parse_size(const std::string& text, uint64_t* bytes);
std::string format_size(uint64_t bytes);

enum class Outcome { kHit, kCompiled, kFailed, kCachedFailure, kError, kBusy };

struct CacheResult {
  Outcome outcome = Outcome::kError;
  std::string artifact_path;
  std::string message;  // for failures and errors: what happened, where, and the fix
  int exit_code = 0;
  bool ok() const { return outcome == Outcome::kHit || outcome == Outcome::kCompiled; }
};

class CompileCache {
 public:
  // Creates the root if needed; fails with a clear message if it is a file,
  // not writable (a read-only cache still serves hits: set read_only_ok), or untrusted.
  static bool open(const CacheOptions& options, std::unique_ptr<CompileCache>* out, std::string* error);
  ~CompileCache();

  const CacheOptions& options() const { return opt_; }
  std::string entry_dir(const CacheKey& key) const { return opt_.dir + "/" + key.relative_dir(); }

  // Verified artifact, or kBusy-free miss (outcome kError with empty message), or
  // kCachedFailure. Never compiles, never waits.
  CacheResult lookup(const CacheKey& key);
  // Blocks until the artifact is there (compiling it here if nobody else is).
  CacheResult get_or_compile(const CacheKey& key, const std::string& graph_path, const CompileFn& compile);
  // One non-blocking step of get_or_compile: kBusy when a live owner compiles it.
  CacheResult try_get_or_compile(const CacheKey& key, const std::string& graph_path, const CompileFn& compile);

  Counters& counters() { return counters_; }
  void flush_stats();  // also done by the destructor
  const TrustPolicy& trust() const { return trust_; }
  void log(const std::string& line) const;

 private:
  explicit CompileCache(CacheOptions o) : opt_(std::move(o)), watch_(opt_.timing) {}
  enum class Check { kValid, kMissing, kCorrupt, kFailed, kUntrusted };
  Check check_entry(const std::string& dir, std::string* why, bool count_hit);
  CacheResult compile_locked(const CacheKey& key, const std::string& dir, const std::string& graph_path,
                             const CompileFn& compile, ClusterLock& lock);
  CacheResult cached_failure(const std::string& dir) const;
  // A valid entry (a hit) or an untrusted one settles a request without compiling:
  // fills *r and returns true.
  bool settled_without_compile(Check check, const std::string& dir, const std::string& why, CacheResult* r);
  bool trusted_dir(const std::string& dir, std::string* why);
  // retry_failed retries failures recorded before this cache was opened, never
  // one that another rank of the same run just recorded (that would retry it once per rank).
  bool should_retry(const std::string& dir) const;
  double opened_at_ = 0;

  CacheOptions opt_;
  TrustPolicy trust_;
  LockWatch watch_;
  Counters counters_;
  std::set<std::string> trusted_dirs_;
};

// Messages the cache and the tools print start with this, so logs can be grepped.
inline constexpr const char* kLogPrefix = "trn-cache: ";

}  // namespace trn::cache
