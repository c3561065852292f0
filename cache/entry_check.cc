// Is an entry servable? Trusted permissions from the cache root down (checked before
// anything in the entry is opened), a done marker, and an artifact matching its recorded
// size and sha256: valid. A done marker with a missing, different or unopenable
// artifact, or a malformed marker: corrupt (recompiled, never served). A compiler log
// without an artifact: a recorded failure.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cache/checksum.h"
#include "cache/compile_cache.h"
#include "cache/failure_record.h"
#include "common/fs.h"
#include "common/process_identity.h"

namespace trn::cache {

namespace {

bool exists_nofollow(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

EntryCheck verdict(EntryVerdict v, std::string why = {}) {
  EntryCheck c;
  c.verdict = v;
  c.why = std::move(why);
  return c;
}

// Opens a file of the entry: regular, not a link, trusted by fstat. -1 with *check set.
int open_entry_file(const std::string& path, const TrustPolicy& trust, struct stat* st, EntryCheck* check) {
  std::string err;
  int fd = open_regular(AT_FDCWD, path, st, &err);
  if (fd < 0) {
    *check = verdict(EntryVerdict::kCorrupt, "entry file " + err);
    return -1;
  }
  if (!is_trusted_stat(*st, path, trust, &err)) {
    ::close(fd);
    *check = verdict(EntryVerdict::kUntrusted, err);
    return -1;
  }
  return fd;
}

}  // namespace

EntryCheck check_entry_dir(const std::string& dir, const TrustPolicy& trust, bool parent_trusted) {
  if (!exists_nofollow(dir)) return verdict(EntryVerdict::kMissing);
  std::string why;
  if ((!parent_trusted && !is_trusted(dir.substr(0, dir.rfind('/')), trust, &why)) || !is_trusted(dir, trust, &why))
    return verdict(EntryVerdict::kUntrusted, why);
  const std::string done_path = dir + "/" + files::kDone;
  const std::string artifact = dir + "/" + files::kArtifact;
  if (!exists_nofollow(done_path)) {
    // No done marker: failed, in flight, or nothing yet. (A neff without a done
    // marker is a half-published entry and is never served.)
    if (exists_nofollow(dir + "/" + files::kLog) && !exists_nofollow(artifact)) return verdict(EntryVerdict::kFailed);
    return verdict(EntryVerdict::kMissing);
  }
  EntryCheck check;
  struct stat st;
  int fd = open_entry_file(done_path, trust, &st, &check);
  if (fd < 0) return check;
  std::string text;
  bool read_ok = uint64_t(st.st_size) <= kMaxRecordBytes &&
                 read_fd_chunks(fd, kMaxRecordBytes, [&](const char* p, size_t n) { text.append(p, n); }) >= 0;
  ::close(fd);
  DoneRecord rec;
  if (!read_ok || !parse_done_record(text, &rec))
    return verdict(EntryVerdict::kCorrupt, "entry " + dir + " has a malformed done marker (" +
                                               std::to_string(st.st_size) + " bytes)");
  fd = open_entry_file(artifact, trust, &st, &check);
  if (fd < 0) {
    if (check.verdict == EntryVerdict::kCorrupt)
      check.why = "entry " + dir + " has a done marker but no readable artifact (" + check.why + ")";
    return check;
  }
  if (rec.has_checksum) {
    std::string hex, err;
    uint64_t size = 0;
    // A size mismatch needs no read; otherwise exactly the size fstat gave is hashed.
    bool read_ok2 = uint64_t(st.st_size) == rec.size && sha256_fd(fd, rec.size, &hex, &size, &err);
    ::close(fd);
    if (!read_ok2 || size != rec.size || hex != rec.sha256)
      return verdict(EntryVerdict::kCorrupt,
                     "entry " + dir + " failed its checksum (recorded " + std::to_string(rec.size) + " bytes sha256 " +
                         rec.sha256.substr(0, 12) + "..., found " + std::to_string(st.st_size) + " bytes" +
                         (hex.empty() ? "" : " " + hex.substr(0, 12) + "...") + (err.empty() ? "" : ", " + err) + ")");
  } else {
    ::close(fd);
  }
  check = verdict(EntryVerdict::kValid);
  check.has_checksum = rec.has_checksum;
  check.done_path = done_path;
  return check;
}

bool CompileCache::trusted_dir(const std::string& dir, std::string* why) {
  if (trusted_dirs_.count(dir)) return true;
  if (!is_trusted(dir, trust_, why)) return false;
  trusted_dirs_.insert(dir);
  return true;
}

CompileCache::Check CompileCache::check_entry(const std::string& dir, std::string* why, bool count_hit) {
  const std::string parent = dir.substr(0, dir.rfind('/'));
  if (exists_nofollow(parent) && !trusted_dir(parent, why)) return Check::kUntrusted;
  EntryCheck c = check_entry_dir(dir, trust_, true);
  *why = c.why;
  if (c.verdict == Check::kValid && count_hit) {
    // LRU bookkeeping for the janitor: bump the done marker, at most once a minute
    // (a write per hit would hammer the metadata server on NFS).
    struct stat st;
    if (::lstat(c.done_path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && wall_seconds() - double(st.st_mtim.tv_sec) > 60)
      ::utimensat(AT_FDCWD, c.done_path.c_str(), nullptr, AT_SYMLINK_NOFOLLOW);
  }
  return c.verdict;
}

CacheResult CompileCache::cached_failure(const std::string& dir) const {
  FailureRecord f = read_failure(dir);
  CacheResult r;
  r.outcome = Outcome::kCachedFailure;
  r.message = "graph " + dir + " failed to compile before (" + describe_exit(f.exit_code) + (f.host.empty() ? "" : ", on " + f.host) +
              "); its log is " + dir + "/" + files::kLog +
              ". Not retrying: set TRN_CACHE_RETRY_FAILED=1 (or --retry_failed_compilation in NEURON_CC_FLAGS) "
              "to compile it again";
  return r;
}

bool CompileCache::should_retry(const std::string& dir) const {
  return opt_.retry_failed && read_failure(dir).when < opened_at_;
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

}  // namespace trn::cache
