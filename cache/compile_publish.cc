// Compiling one key while holding its lock, then either publishing the artifact
// (temp file, checksum, rename, done marker last) or recording the failure (log and
// exit code) so that other ranks do not rediscover it. A full cache filesystem is
// reported but never recorded as a failure of the graph.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "cache/checksum.h"
#include "cache/compile_cache.h"
#include "cache/failure_record.h"
#include "common/fs.h"
#include "common/process_identity.h"

namespace trn::cache {

// A compile that failed because the cache filesystem filled up says nothing about
// the graph: recording it as FAILED would poison every later run until someone
// retries on purpose. Judged by the compiler's own message or by what is left free.
static bool out_of_space(const std::string& dir, const std::string& log_text) {
  if (log_text.find("No space left on device") != std::string::npos) return true;
  struct statvfs vfs;
  if (::statvfs(dir.c_str(), &vfs) != 0) return false;
  return static_cast<unsigned long long>(vfs.f_bavail) * vfs.f_frsize < (4ULL << 20);
}

// Publishes a compiled temp file as the entry's artifact: checksum, rename, our record
// (a side file), then Neuron's empty model.done, last, which makes the entry visible to
// us and to the SDK. Nothing else of the entry is touched: its model.hlo_module.pb and
// compile_flags.json stay as the collecting process wrote them. On failure nothing
// servable is left (the artifact without a marker is never served). The record holds
// the artifact's stamp (lookups compare it instead of hashing), taken by fstat on the
// descriptor that was hashed, after the chmod and rename of commit_file (which change
// ctime), so it describes exactly that inode.
static bool publish_artifact(const std::string& temp, const std::string& dir, const CacheKey& key,
                             const std::string& graph_path, mode_t mode, uint64_t* size, std::string* err) {
  const std::string artifact = dir + "/" + files::kArtifact;
  DoneRecord d;
  struct stat st;
  int fd = open_regular(AT_FDCWD, temp, &st, err);  // the compiler's output: never a link or FIFO
  bool hashed = fd >= 0 && sha256_fd(fd, uint64_t(st.st_size), &d.sha256, &d.size, err);
  if (!hashed) {
    if (fd >= 0) ::close(fd);
    ::unlink(temp.c_str());
    return false;
  }
  const bool committed = commit_file(temp, artifact, mode, err);
  d.has_stamp = committed && ::fstat(fd, &st) == 0 && uint64_t(st.st_size) == d.size;
  ::close(fd);
  if (!committed) return false;
  if (d.has_stamp) d.stamp = FileStamp::of(st);  // else: the first lookup hashes and stamps it
  d.has_checksum = true;
  d.graph = graph_path;
  d.flags = key.flags;
  d.host = ProcessIdentity::self().host;
  d.created = wall_seconds();
  if (!write_file_atomic(dir + "/" + files::kRecord, d.serialize(), mode, err) ||
      !write_file_atomic(dir + "/" + files::kDone, "", mode, err)) {  // empty, as the SDK writes it
    ::unlink(artifact.c_str());
    return false;
  }
  *size = d.size;
  return true;
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
  bool produced = ::lstat(req.output_path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
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
    std::string tail = log_text.size() > 2000 ? log_text.substr(log_text.size() - 2000) : log_text;
    r.message = "compiling " + graph_path + " into " + dir + " failed: " + describe_exit(rc) + "; log: " + dir +
                "/" + files::kLog + (tail.empty() ? "" : "\n" + tail);
    return r;
  }
  ::unlink(req.log_path.c_str());
  std::string err;
  uint64_t size = 0;
  bool ok = publish_artifact(req.output_path, dir, key, graph_path, fmode, &size, &err);
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
