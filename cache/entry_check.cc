// Is an entry servable? A done marker, trusted permissions from the cache root
// down, and an artifact matching its recorded size and sha256: valid. A done
// marker with a missing or different artifact: corrupt (recompiled, never served).
// A compiler log without an artifact: a recorded failure.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cache/checksum.h"
#include "cache/compile_cache.h"
#include "cache/failure_record.h"
#include "common/fs.h"
#include "common/process_identity.h"

namespace trn::cache {

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
