// The shared compile cache: "give me the artifact for this graph, compiling it
// at most once across the whole cluster". Used by the native engine (graphs ->
// shared objects), the Neuron backends (their neuronxcc-*/MODULE_* tree) and
// `trn-train cache`.
//
//   trn::Problems problems;
//   CacheOptions opt;  // the settings come from the one resolver, common/config/cache_location.h
//   static_cast<trn::CacheSettings&>(opt) = trn::config::resolve_cache_settings({}, env, &problems);
//   std::unique_ptr<CompileCache> cache;
//   if (!CompileCache::open(opt, &cache, &err)) die(err);
//   CacheKey key = make_key({"g++", "13.2.0"}, {"-O2"}, graph_bytes);
//   CacheResult r = cache->get_or_compile(key, graph_path, command_compiler({"cc", "{in}", "-o", "{out}"}));
//   if (!r.ok()) die(r.message);  else dlopen(r.artifact_path)
//
// Guarantees: the returned artifact matched its recorded sha256 when it was published
// or last re-hashed and has not changed since by size, mtime, ctime or inode;
// a partial or corrupt entry is never returned (it is recompiled instead); at
// most one live process compiles a key; a dead compiler's lock is taken over
// after stale_s; a recorded failure is returned as such unless retry_failed.
//
// Where the code lives: compile_cache.cc (opening, the request loop), entry_check.cc
// (is an entry servable: valid, corrupt, failed, untrusted), compile_publish.cc
// (compiling under the lock, then publishing by rename or recording the failure).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "common/cache_settings.h"

#include "cache/cache_key.h"
#include "cache/cluster_lock.h"
#include "cache/compiler_runner.h"
#include "cache/entry_layout.h"
#include "cache/permissions.h"
#include "cache/stats.h"

namespace trn::cache {

// The resolved settings (trn::CacheSettings: dir, group, timing, retry_failed,
// max_bytes) plus how this process talks about waiting.
struct CacheOptions : CacheSettings {
  bool quiet = false;          // no progress lines ("waiting for ...")
  double report_every_s = 30;  // how often a waiter repeats whom it waits for
};

enum class Outcome { kHit, kCompiled, kFailed, kCachedFailure, kError, kBusy };

struct CacheResult {
  Outcome outcome = Outcome::kError;
  std::string artifact_path;
  std::string message;  // for failures and errors: what happened, where, and the fix
  bool ok() const { return outcome == Outcome::kHit || outcome == Outcome::kCompiled; }
};

// Whether an entry directory can be served, judged in this order so that nothing is
// opened before its owner and mode are trusted: the directories (lstat, links refused),
// then model.done and the artifact, each opened with open_regular (no link followed,
// no FIFO waited on, regular files only) and checked by fstat on that descriptor, the
// done marker read capped at kMaxRecordBytes, the artifact hashed for exactly the size
// fstat gave. An artifact that needs no hashing is not opened: statx without following
// links (forced to ask the NFS server) gives its type, owner, mode and stamp.
// Shared by lookups and `trn-train cache verify` (run as root too).
//
// Hashing: publishing records the artifact's sha256 and its FileStamp (entry_layout.h).
// A lookup (kWhenChanged) hashes the artifact only when fstat on the opened artifact
// disagrees with that stamp, or the record has none (written by an earlier version);
// if the hash still matches it re-stamps the record (atomic rewrite, best effort: a
// read-only cache just hashes again next time), otherwise the entry is corrupt.
// `cache verify` (kAlways) hashes every artifact in full and writes nothing.
enum class Hashing { kWhenChanged, kAlways };
enum class EntryVerdict { kValid, kMissing, kCorrupt, kFailed, kUntrusted };
struct EntryCheck {
  EntryVerdict verdict = EntryVerdict::kMissing;
  std::string why;            // for kCorrupt and kUntrusted: the path, the problem, the fix
  bool has_checksum = false;  // kValid: verified against a recorded sha256 (not a Neuron marker)
  bool hashed = false;        // the artifact was read and hashed by this check
  std::string done_path;      // kValid: the done marker (for LRU bookkeeping)
  double done_mtime = 0;      // kValid: its mtime (wall seconds, from fstat)
};
// parent_trusted: the caller has already checked the compiler-version directory.
EntryCheck check_entry_dir(const std::string& dir, const TrustPolicy& trust, bool parent_trusted,
                           Hashing hashing = Hashing::kWhenChanged);
// The same for entry `name` of a version directory the caller has trusted and holds open
// as `parent_fd` (O_PATH is enough): the entry's files are reached from it, a walk of two
// path components per syscall instead of the whole path. `dir` is the entry's path, for
// messages and the restamp.
EntryCheck check_entry_at(int parent_fd, const std::string& name, const std::string& dir, const TrustPolicy& trust,
                          Hashing hashing = Hashing::kWhenChanged);

class CompileCache {
 public:
  // Creates the root if needed; fails with a clear message if it is a file,
  // not writable (a read-only cache still serves hits: set read_only_ok), or untrusted.
  static bool open(const CacheOptions& options, std::unique_ptr<CompileCache>* out, std::string* error);
  ~CompileCache();
  CompileCache(const CompileCache&) = delete;  // holds descriptors (version_dirs_)
  CompileCache& operator=(const CompileCache&) = delete;

  const CacheOptions& options() const { return opt_; }
  std::string entry_dir(const CacheKey& key) const { return opt_.dir + "/" + key.relative_dir(); }

  // Verified artifact, or kBusy-free miss (outcome kError with empty message), or
  // kCachedFailure. Never compiles, never waits.
  CacheResult lookup(const CacheKey& key);
  // Blocks until the artifact is there (compiling it here if nobody else is).
  CacheResult get_or_compile(const CacheKey& key, const std::string& graph_path, const CompileFn& compile);
  // One non-blocking step of get_or_compile: kBusy when a live owner compiles it.
  CacheResult try_get_or_compile(const CacheKey& key, const std::string& graph_path, const CompileFn& compile);

  // Creates directory `rel` below the cache root as other users of the cache need it:
  // never through a link (open_dir_beneath), each new directory with exactly
  // dir_mode() and the cache group whatever the umask.
  bool make_dirs_in_cache(const std::string& rel, std::string* error) const;

  Counters& counters() { return counters_; }
  void flush_stats();  // also done by the destructor
  void log(const std::string& line) const;

 private:
  explicit CompileCache(CacheOptions o) : opt_(std::move(o)), watch_(opt_.timing) {}
  using Check = EntryVerdict;
  Check check_entry(const std::string& dir, std::string* why, bool count_hit);
  CacheResult compile_locked(const CacheKey& key, const std::string& dir, const std::string& graph_path,
                             const CompileFn& compile, ClusterLock& lock);
  CacheResult cached_failure(const std::string& dir) const;
  // A valid entry (a hit) or an untrusted one settles a request without compiling:
  // fills *r and returns true.
  bool settled_without_compile(Check check, const std::string& dir, const std::string& why, CacheResult* r);
  // The version directory `path`, trusted and open (see version_dirs_): its descriptor,
  // or -1 when it does not exist (*why empty) or is not trusted (*why says why).
  // recheck: compare the held one with the path now, however recently that was done.
  int version_dir(const std::string& path, std::string* why, bool recheck = false);
  // retry_failed retries failures recorded before this cache was opened, never
  // one that another rank of the same run just recorded (that would retry it once per rank).
  bool should_retry(const std::string& dir) const;
  double opened_at_ = 0;

  CacheOptions opt_;
  TrustPolicy trust_;
  LockWatch watch_;
  Counters counters_;
  // Version directories trusted so far, held open (O_PATH, no link followed) so that
  // lookups walk from them; with the inode they were opened at, to notice one removed or
  // moved away (and made again) since: checked by one lstat at a miss, and before a hit
  // when the last check is older than a second.
  struct VersionDir {
    int fd = -1;
    dev_t dev = 0;
    ino_t ino = 0;
    double checked_at = 0;  // mono_seconds()
  };
  std::map<std::string, VersionDir> version_dirs_;
};

// Messages the cache and the tools print start with this, so logs can be grepped.
inline constexpr const char* kLogPrefix = "trn-cache: ";

}  // namespace trn::cache
