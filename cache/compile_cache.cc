#include "cache/compile_cache.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <thread>

#include "cache/atomic_file.h"
#include "cache/checksum.h"
#include "cache/failure_record.h"
#include "cache/process_identity.h"

namespace trn::cache {

static std::string env_or(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::string(v) : fallback;
}

// A compile that failed because the cache filesystem filled up says nothing about
// the graph: recording it as FAILED would poison every later run until someone
// retries on purpose. Judged by the compiler's own message or by what is left free.
static bool out_of_space(const std::string& dir, const std::string& log_text) {
  if (log_text.find("No space left on device") != std::string::npos) return true;
  struct statvfs vfs;
  if (::statvfs(dir.c_str(), &vfs) != 0) return false;
  return static_cast<unsigned long long>(vfs.f_bavail) * vfs.f_frsize < (4ULL << 20);
}

std::string default_cache_dir() {
  std::string dir = env_or("TRN_TRAIN_CACHE_DIR", "");
  if (!dir.empty()) return dir;
  // Neuron's rule: --cache_dir in NEURON_CC_FLAGS wins over NEURON_COMPILE_CACHE_URL.
  for (const auto& w : split_flags(env_or("NEURON_CC_FLAGS", "")))
    if (w.rfind("--cache_dir=", 0) == 0) return w.substr(12);
  dir = env_or("NEURON_COMPILE_CACHE_URL", "");
  if (!dir.empty()) return dir.rfind("file://", 0) == 0 ? dir.substr(7) : dir;
  return "/var/tmp/neuron-compile-cache";
}

bool parse_size(const std::string& text, uint64_t* bytes) {
  if (text.empty()) return false;
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  if (end == text.c_str() || v < 0) return false;
  std::string unit = end;
  double mult = 1;
  if (unit == "" || unit == "B") mult = 1;
  else if (unit == "K" || unit == "KB" || unit == "KiB") mult = 1024.0;
  else if (unit == "M" || unit == "MB" || unit == "MiB") mult = 1024.0 * 1024;
  else if (unit == "G" || unit == "GB" || unit == "GiB") mult = 1024.0 * 1024 * 1024;
  else if (unit == "T" || unit == "TB" || unit == "TiB") mult = 1024.0 * 1024 * 1024 * 1024;
  else return false;
  *bytes = uint64_t(v * mult);
  return true;
}

std::string format_size(uint64_t b) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = double(b);
  int u = 0;
  while (v >= 1024 && u < 4) { v /= 1024; ++u; }
  char buf[32];
  std::snprintf(buf, sizeof(buf), u == 0 ? "%.0f %s" : "%.1f %s", v, units[u]);
  return buf;
}

CacheOptions CacheOptions::from_env() {
  CacheOptions o;
  o.dir = default_cache_dir();
  o.group = env_or("TRN_CACHE_GROUP", "");
  o.timing.heartbeat_s = std::atof(env_or("TRN_CACHE_HEARTBEAT_S", "2").c_str());
  o.timing.stale_s = std::atof(env_or("TRN_CACHE_STALE_S", "30").c_str());
  if (o.timing.heartbeat_s <= 0) o.timing.heartbeat_s = 2;
  if (o.timing.stale_s < 2 * o.timing.heartbeat_s) o.timing.stale_s = 3 * o.timing.heartbeat_s;
  o.retry_failed = env_or("TRN_CACHE_RETRY_FAILED", "0") == "1";
  for (const auto& w : split_flags(env_or("NEURON_CC_FLAGS", "")))
    if (w == "--retry_failed_compilation") o.retry_failed = true;
  uint64_t max = 0;
  if (parse_size(env_or("TRN_CACHE_MAX_SIZE", ""), &max)) o.max_bytes = max;
  return o;
}

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
  if (!make_dirs(o.dir, dir_mode(trust), &merr)) {
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

CompileCache::~CompileCache() { flush_stats(); }

void CompileCache::flush_stats() {
  Counters zero;
  if (counters_.as_map() == zero.as_map()) return;
  trn::cache::flush_stats(opt_.dir, counters_);
  counters_ = Counters{};
}

bool CompileCache::trusted_dir(const std::string& dir, std::string* why) {
  if (trusted_dirs_.count(dir)) return true;
  if (!is_trusted(dir, trust_, why)) return false;
  trusted_dirs_.insert(dir);
  return true;
}

CompileCache::Check CompileCache::check_entry(const std::string& dir, std::string* why, bool count_hit) {
  std::string done_text;
  std::string done_path = dir + "/" + files::kDone;
  std::string artifact = dir + "/" + files::kArtifact;
  if (!read_file(done_path, &done_text)) {
    // No done marker: failed, in flight, or nothing yet. (A neff without a done
    // marker is a half-published entry and is never served.)
    if (::access((dir + "/" + files::kLog).c_str(), F_OK) == 0 && ::access(artifact.c_str(), F_OK) != 0)
      return Check::kFailed;
    return Check::kMissing;
  }
  auto slash = dir.rfind('/');
  if (!trusted_dir(dir.substr(0, slash), why) || !is_trusted(dir, trust_, why) || !is_trusted(artifact, trust_, why))
    return Check::kUntrusted;
  DoneRecord rec = DoneRecord::parse(done_text);
  if (rec.has_checksum) {
    std::string hex;
    uint64_t size = 0;
    std::string err;
    if (!sha256_file(artifact, &hex, &size, &err)) {
      *why = "entry " + dir + " has a done marker but no readable artifact (" + err + ")";
      return Check::kCorrupt;
    }
    if (size != rec.size || hex != rec.sha256) {
      *why = "entry " + dir + " failed its checksum (recorded " + std::to_string(rec.size) + " bytes sha256 " +
             rec.sha256.substr(0, 12) + "..., found " + std::to_string(size) + " bytes " + hex.substr(0, 12) +
             "...)";
      return Check::kCorrupt;
    }
  } else if (::access(artifact.c_str(), R_OK) != 0) {
    *why = "entry " + dir + " has a done marker but no artifact";
    return Check::kCorrupt;
  }
  if (count_hit) {
    // LRU bookkeeping for the janitor: bump the done marker, at most once a minute
    // (a write per hit would hammer the metadata server on NFS).
    struct stat st;
    if (::stat(done_path.c_str(), &st) == 0 && wall_seconds() - double(st.st_mtim.tv_sec) > 60)
      ::utimensat(AT_FDCWD, done_path.c_str(), nullptr, 0);
  }
  return Check::kValid;
}

CacheResult CompileCache::cached_failure(const std::string& dir) const {
  FailureRecord f = read_failure(dir);
  CacheResult r;
  r.outcome = Outcome::kCachedFailure;
  r.exit_code = f.exit_code;
  r.message = "graph " + dir + " failed to compile before (" + describe_exit(f.exit_code) + (f.host.empty() ? "" : ", on " + f.host) +
              "); its log is " + dir + "/" + files::kLog +
              ". Not retrying: set TRN_CACHE_RETRY_FAILED=1 (or --retry_failed_compilation in NEURON_CC_FLAGS) "
              "to compile it again";
  return r;
}

bool CompileCache::should_retry(const std::string& dir) const {
  return opt_.retry_failed && read_failure(dir).when < opened_at_;
}

CacheResult CompileCache::lookup(const CacheKey& key) {
  std::string dir = entry_dir(key);
  std::string why;
  CacheResult r;
  switch (check_entry(dir, &why, true)) {
    case Check::kValid:
      r.outcome = Outcome::kHit;
      r.artifact_path = dir + "/" + files::kArtifact;
      counters_.hits++;
      return r;
    case Check::kFailed:
      if (!should_retry(dir)) return cached_failure(dir);
      break;
    case Check::kUntrusted:
      r.message = why;
      return r;
    case Check::kCorrupt:
    case Check::kMissing:
      break;
  }
  r.outcome = Outcome::kError;  // a miss: empty message
  return r;
}

bool CompileCache::settled_without_compile(Check check, const std::string& dir, const std::string& why,
                                           CacheResult* r) {
  if (check == Check::kValid) {
    counters_.hits++;
    r->outcome = Outcome::kHit;
    r->artifact_path = dir + "/" + files::kArtifact;
    return true;
  }
  if (check == Check::kUntrusted) {
    r->message = why;
    return true;
  }
  return false;
}

CacheResult CompileCache::try_get_or_compile(const CacheKey& key, const std::string& graph_path,
                                             const CompileFn& compile) {
  std::string dir = entry_dir(key);
  std::string why;
  CacheResult r;
  Check c = check_entry(dir, &why, true);
  if (settled_without_compile(c, dir, why, &r)) return r;
  if (c == Check::kFailed && !should_retry(dir)) {
    counters_.cached_failures++;
    return cached_failure(dir);
  }
  std::string err;
  if (!make_dirs(dir, dir_mode(trust_), &err)) {
    r.message = "cannot create cache entry: " + err;
    return r;
  }
  std::string lock_path = dir + "/" + files::kLock;
  ClusterLock lock(lock_path, opt_.timing);
  if (lock.try_acquire(&err)) {
    watch_.forget(lock_path);
    return compile_locked(key, dir, graph_path, compile, lock);
  }
  if (!err.empty()) {
    r.message = err + " (the cache dir must be writable to compile into it: fix its permissions or "
                      "free space, or choose another --dir)";
    return r;
  }
  auto seen = watch_.observe(lock_path);
  r.outcome = Outcome::kBusy;
  if (seen.exists && seen.stale) {
    if (watch_.break_stale(lock_path, seen)) {
      counters_.stale_takeovers++;
      log("taking over the stale lock on " + dir + " held by " + seen.owner.describe() + " (no heartbeat for " +
          std::to_string(int(std::max(seen.idle_s, seen.age_s))) + " s)");
    }
    r.message = "";  // retry at once
    return r;
  }
  r.message = seen.exists ? seen.owner.describe() : "";
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

CacheResult CompileCache::compile_locked(const CacheKey& key, const std::string& dir, const std::string& graph_path,
                                         const CompileFn& compile, ClusterLock& lock) {
  CacheResult r;
  std::string why;
  // Re-check under the lock: the previous owner may have published just before releasing.
  Check c = check_entry(dir, &why, true);
  if (settled_without_compile(c, dir, why, &r)) return r;
  if (c == Check::kFailed) {
    if (!should_retry(dir)) return cached_failure(dir);
    FailureRecord f = read_failure(dir);
    log("retrying " + dir + ", which failed before (" + describe_exit(f.exit_code) + "), because retry_failed is set");
    clear_failure(dir);
  }
  if (c == Check::kCorrupt) {
    counters_.corrupt++;
    log(why + "; removing it and compiling again");
    ::unlink((dir + "/" + files::kDone).c_str());  // marker first: readers stop trusting it at once
  }
  const mode_t fmode = file_mode(trust_);
  std::string artifact = dir + "/" + files::kArtifact;
  CompileRequest req;
  req.input_path = graph_path;
  req.output_path = temp_name_for(artifact);
  req.log_path = temp_name_for(dir + "/" + files::kLog);
  double t0 = mono_seconds();
  int rc = compile(req);
  double secs = mono_seconds() - t0;
  counters_.compile_seconds += secs;
  struct stat st;
  bool produced = ::stat(req.output_path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
  if (rc != 0 || !produced) {
    std::string log_text;
    read_file(req.log_path, &log_text);
    if (rc == 0) {
      rc = 1;
      log_text += "\n[trn-cache] the compiler exited 0 but wrote no output file\n";
    }
    ::unlink(req.output_path.c_str());
    ::unlink(req.log_path.c_str());
    if (out_of_space(dir, log_text)) {
      r.outcome = Outcome::kFailed;
      r.exit_code = rc;
      r.message = "compiling " + graph_path + " into " + dir + " failed: the cache filesystem is full (" +
                  describe_exit(rc) + "); not recorded as a compile failure: free space (trn-train cache clean " +
                  "--max-size ...) and run again";
      return r;
    }
    FailureRecord f;
    f.exit_code = rc;
    f.host = ProcessIdentity::self().host;
    f.when = wall_seconds();
    std::string err;
    if (!write_failure(dir, log_text, f, fmode, &err)) log("could not record the failure: " + err);
    counters_.compile_failures++;
    r.outcome = Outcome::kFailed;
    r.exit_code = rc;
    std::string tail = log_text.size() > 2000 ? log_text.substr(log_text.size() - 2000) : log_text;
    r.message = "compiling " + graph_path + " into " + dir + " failed: " + describe_exit(rc) + "; log: " + dir +
                "/" + files::kLog + (tail.empty() ? "" : "\n" + tail);
    return r;
  }
  ::unlink(req.log_path.c_str());
  std::string hex, err;
  uint64_t size = 0;
  bool ok = sha256_file(req.output_path, &hex, &size, &err);
  if (ok) ok = commit_file(req.output_path, artifact, fmode, &err);
  else ::unlink(req.output_path.c_str());
  if (ok) {
    write_file_atomic(dir + "/" + files::kFlags, "{\"flags\": \"" + key.flags + "\"}\n", fmode, nullptr);
    DoneRecord d;
    d.has_checksum = true;
    d.sha256 = hex;
    d.size = size;
    d.graph = graph_path;
    d.flags = key.flags;
    d.host = ProcessIdentity::self().host;
    d.created = wall_seconds();
    ok = write_file_atomic(dir + "/" + files::kDone, d.serialize(), fmode, &err);  // last: makes it visible
    if (!ok) ::unlink(artifact.c_str());
  }
  if (!ok) {
    r.message = "compiled " + graph_path + " but could not publish it into " + dir + ": " + err +
                " (fix: free space on the cache filesystem, e.g. `trn-train cache clean --max-size ...`, or "
                "check its permissions)";
    return r;
  }
  if (lock.lost()) log("published " + dir + " although our lock was taken over (identical content, harmless)");
  counters_.compiles++;
  counters_.bytes_written += size;
  r.outcome = Outcome::kCompiled;
  r.artifact_path = artifact;
  return r;
}

}  // namespace trn::cache
