// Is an entry servable? Trusted permissions from the cache root down (checked before
// anything in the entry is opened), Neuron's done marker, and an artifact matching the
// size and sha256 of our record (the side file; none for an entry the SDK compiled):
// valid. A done marker with a missing, different or unopenable artifact, or a malformed
// record: corrupt (recompiled, never served). A compiler log without an artifact: a
// recorded failure.
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

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

// A file of the entry being checked: `rel` relative to the descriptor `base` (AT_FDCWD
// for none), `path` its full name for messages.
struct EntryFile {
  int base;
  std::string rel, path;
};

// Opens a file of the entry: regular, not a link, trusted by fstat. -1 with *check set
// (and *absent when given and the file does not exist: one open instead of lstat + open).
int open_entry_file(const EntryFile& f, const TrustPolicy& trust, struct stat* st, EntryCheck* check,
                    bool* absent = nullptr) {
  std::string err;
  int fd = open_regular(f.base, f.rel, st, &err);
  if (fd < 0) {
    if (absent) *absent = errno == ENOENT;
    *check = verdict(EntryVerdict::kCorrupt, "entry file " + f.path + err.substr(f.rel.size()));
    return -1;
  }
  if (!is_trusted_stat(*st, f.path, trust, &err)) {
    ::close(fd);
    *check = verdict(EntryVerdict::kUntrusted, err);
    return -1;
  }
  return fd;
}

// lstat as the file server sees it now: statx with AT_STATX_FORCE_SYNC makes an NFS
// client ask the server, as the open() of close-to-open would, instead of answering
// from its attribute cache (a no-op on local filesystems).
bool stat_from_server(const EntryFile& f, struct stat* st) {
  struct statx x;
  if (::statx(f.base, f.rel.c_str(), AT_SYMLINK_NOFOLLOW | AT_STATX_FORCE_SYNC, STATX_BASIC_STATS, &x) != 0)
    return false;
  *st = {};
  st->st_mode = x.stx_mode;
  st->st_uid = x.stx_uid;
  st->st_gid = x.stx_gid;
  st->st_size = off_t(x.stx_size);
  st->st_ino = ino_t(x.stx_ino);
  st->st_mtim = {time_t(x.stx_mtime.tv_sec), long(x.stx_mtime.tv_nsec)};
  st->st_ctim = {time_t(x.stx_ctime.tv_sec), long(x.stx_ctime.tv_nsec)};
  return true;
}

// Adds the stamp of the artifact just hashed to our record, so that the next lookups
// compare it instead of hashing. The stamp is the fstat taken before hashing: a change
// during the hash leaves the file differing from it, hence hashed again. Best effort:
// without write access (a read-only cache) the next lookup hashes again. A record read
// from an earlier version's model.done moves to the side file here (model.done stays).
void restamp(const std::string& record_path, DoneRecord rec, const FileStamp& hashed, const TrustPolicy& trust) {
  rec.has_stamp = true;
  rec.stamp = hashed;
  write_file_atomic(record_path, rec.serialize(), file_mode(trust), nullptr);
}

// Reads and parses a record file already opened as `fd` (fstat gave *st); closes fd.
bool read_record(int fd, const struct stat& st, DoneRecord* rec) {
  std::string text;
  // Exactly the size fstat gave (one read): a record is replaced by rename, never grown.
  const bool read_ok = uint64_t(st.st_size) <= kMaxRecordBytes &&
                       read_fd_chunks(fd, uint64_t(st.st_size), [&](const char* p, size_t n) { text.append(p, n); }) >= 0;
  ::close(fd);
  return read_ok && parse_done_record(text, rec);
}

// The entry `rel` (relative to `base`, AT_FDCWD for none; `dir` is its full path),
// whose version directory the caller has trusted. A hit of an entry we compiled costs
// seven syscalls: lstat of the entry directory, statx of model.done, open + fstat + read
// + close of our record, statx of the artifact (an entry the SDK compiled: five).
EntryCheck check_entry_in(int base, const std::string& rel, const std::string& dir, const TrustPolicy& trust,
                          Hashing hashing) {
  struct stat st;
  if (::fstatat(base, rel.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return verdict(EntryVerdict::kMissing);
  std::string why;
  if (!is_trusted_stat(st, dir, trust, &why)) return verdict(EntryVerdict::kUntrusted, why);
  const auto file = [&](const char* name) {
    return EntryFile{base, rel + "/" + name, dir + "/" + name};
  };
  const EntryFile done = file(files::kDone), record = file(files::kRecord), artifact = file(files::kArtifact);
  EntryCheck check;
  // model.done, Neuron's marker, says the entry is compiled; it is empty as the SDK
  // writes it, so a stat tells all (a non-empty one is an earlier version's record).
  if (!stat_from_server(done, &st)) {
    // No done marker: failed, in flight, or nothing yet. (A neff without a done
    // marker is a half-published entry and is never served.)
    if (errno == ENOENT) {
      if (exists_nofollow(dir + "/" + files::kLog) && !exists_nofollow(artifact.path))
        return verdict(EntryVerdict::kFailed);
      return verdict(EntryVerdict::kMissing);
    }
    return verdict(EntryVerdict::kCorrupt, "entry file " + done.path + ": " + std::strerror(errno));
  }
  if (!S_ISREG(st.st_mode))
    return verdict(EntryVerdict::kCorrupt, "entry file " + done.path + (S_ISLNK(st.st_mode) ? ": is a symbolic link (never followed)"
                                                                                          : ": not a regular file"));
  if (!is_trusted_stat(st, done.path, trust, &why)) return verdict(EntryVerdict::kUntrusted, why);
  const double done_mtime = double(st.st_mtim.tv_sec) + st.st_mtim.tv_nsec / 1e9;
  const bool done_empty = st.st_size == 0;
  DoneRecord rec;
  bool absent = false;
  int fd = open_entry_file(record, trust, &st, &check, &absent);
  if (fd >= 0) {
    if (!read_record(fd, st, &rec))
      return verdict(EntryVerdict::kCorrupt, "entry " + dir + " has a malformed record " + record.path + " (" +
                                                 std::to_string(st.st_size) + " bytes)");
  } else if (!absent) {
    return check;
  } else if (done_empty) {
    // Compiled by Neuron's tools: no checksum to verify against.
  } else if (fd = open_entry_file(done, trust, &st, &check); fd < 0) {
    return check;
  } else if (!read_record(fd, st, &rec)) {
    return verdict(EntryVerdict::kCorrupt, "entry " + dir + " has a malformed done marker (" +
                                               std::to_string(st.st_size) + " bytes)");
  }
  EntryCheck valid = verdict(EntryVerdict::kValid);
  valid.has_checksum = rec.has_checksum;
  valid.done_path = done.path;
  valid.done_mtime = done_mtime;
  // A hit needs no descriptor on the artifact: a stat that follows no link and opens
  // nothing (no FIFO to wait on) gives what the trust check and the stamp need.
  if (hashing == Hashing::kWhenChanged && stat_from_server(artifact, &st) && S_ISREG(st.st_mode) &&
      (!rec.has_checksum || (rec.has_stamp && FileStamp::of(st) == rec.stamp))) {
    if (!is_trusted_stat(st, artifact.path, trust, &why)) return verdict(EntryVerdict::kUntrusted, why);
    return valid;
  }
  fd = open_entry_file(artifact, trust, &st, &check);
  if (fd < 0) {
    if (check.verdict == EntryVerdict::kCorrupt)
      check.why = "entry " + dir + " has a done marker but no readable artifact (" + check.why + ")";
    return check;
  }
  const FileStamp now = FileStamp::of(st);
  const bool hash = rec.has_checksum && (hashing == Hashing::kAlways || !rec.has_stamp || !(now == rec.stamp));
  if (hash) {
    std::string hex, err;
    uint64_t size = 0;
    // A size mismatch needs no read; otherwise exactly the size fstat gave is hashed.
    bool read_ok2 = now.size == rec.size && sha256_fd(fd, rec.size, &hex, &size, &err);
    ::close(fd);
    if (!read_ok2 || size != rec.size || hex != rec.sha256)
      return verdict(EntryVerdict::kCorrupt,
                     "entry " + dir + " failed its checksum (recorded " + std::to_string(rec.size) + " bytes sha256 " +
                         rec.sha256.substr(0, 12) + "..., found " + std::to_string(now.size) + " bytes" +
                         (hex.empty() ? "" : " " + hex.substr(0, 12) + "...") + (err.empty() ? "" : ", " + err) + ")");
    if (hashing == Hashing::kWhenChanged) restamp(record.path, rec, now, trust);
  } else {
    ::close(fd);
  }
  valid.hashed = hash;
  return valid;
}

}  // namespace

EntryCheck check_entry_dir(const std::string& dir, const TrustPolicy& trust, bool parent_trusted, Hashing hashing) {
  std::string why;
  if (!parent_trusted && exists_nofollow(dir) && !is_trusted(dir.substr(0, dir.rfind('/')), trust, &why))
    return verdict(EntryVerdict::kUntrusted, why);
  return check_entry_in(AT_FDCWD, dir, dir, trust, hashing);
}

EntryCheck check_entry_at(int parent_fd, const std::string& name, const std::string& dir, const TrustPolicy& trust,
                          Hashing hashing) {
  return check_entry_in(parent_fd, name, dir, trust, hashing);
}

int CompileCache::version_dir(const std::string& path, std::string* why, bool recheck) {
  const auto it = version_dirs_.find(path);
  if (it != version_dirs_.end()) {
    VersionDir& held = it->second;
    const double now = mono_seconds();
    if (!recheck && now - held.checked_at < 1.0) return held.fd;
    // The same directory: the path leads to it still, and it is not removed (a removed
    // one cannot have passed its inode number on while we hold it; on NFS its handle
    // turns stale and fstat fails).
    struct stat st, at_fd;
    if (::lstat(path.c_str(), &st) == 0 && st.st_dev == held.dev && st.st_ino == held.ino &&
        ::fstat(held.fd, &at_fd) == 0 && at_fd.st_nlink > 0) {
      held.checked_at = now;
      return held.fd;
    }
    ::close(held.fd);
    version_dirs_.erase(it);
  }
  // Opened first, then judged by fstat on that descriptor: nothing to swap in between.
  const int fd = ::open(path.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  struct stat st;
  if (fd < 0 || ::fstat(fd, &st) != 0) {
    const int saved = errno;
    if (fd >= 0) ::close(fd);
    // Not there: a miss. Otherwise a link, a file, ...: is_trusted names what and the fix.
    if (saved != ENOENT && is_trusted(path, trust_, why))
      *why = path + ": " + std::strerror(saved) + " (a compiler-version directory must be a directory)";
    return -1;
  }
  if (!is_trusted_stat(st, path, trust_, why)) {
    ::close(fd);
    return -1;
  }
  version_dirs_[path] = VersionDir{fd, st.st_dev, st.st_ino, mono_seconds()};
  return fd;
}

CompileCache::Check CompileCache::check_entry(const std::string& dir, std::string* why, bool count_hit) {
  const size_t slash = dir.rfind('/');
  const std::string parent = dir.substr(0, slash), name = dir.substr(slash + 1);
  int fd = version_dir(parent, why);
  if (fd < 0) return why->empty() ? Check::kMissing : Check::kUntrusted;
  EntryCheck c = check_entry_at(fd, name, dir, trust_);
  if (c.verdict == Check::kMissing) {
    // A miss (which a compile may follow) is judged through the version directory there
    // now, not through one removed or moved away since it was opened.
    const VersionDir before = version_dirs_.at(parent);
    fd = version_dir(parent, why, true);
    if (fd < 0) return why->empty() ? Check::kMissing : Check::kUntrusted;
    const VersionDir& now = version_dirs_.at(parent);
    if (now.dev != before.dev || now.ino != before.ino) c = check_entry_at(fd, name, dir, trust_);
  }
  *why = c.why;
  // LRU bookkeeping for the janitor: bump the done marker, at most once a minute
  // (a write per hit would hammer the metadata server on NFS).
  if (c.verdict == Check::kValid && count_hit && wall_seconds() - c.done_mtime > 60)
    ::utimensat(AT_FDCWD, c.done_path.c_str(), nullptr, AT_SYMLINK_NOFOLLOW);
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
