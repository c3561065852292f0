#include "cache/cluster_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <limits>
#include <sstream>

#include "common/fs.h"
#include "common/process_identity.h"
#include "cache/record_fields.h"

namespace trn::cache {

bool parse_lock_record(std::string_view text, LockRecord* out) {
  LockRecord r;
  r.raw = std::string(text.substr(0, kMaxRecordBytes));
  bool ok = text.size() <= kMaxRecordBytes;
  if (ok)
    for_each_key_value(text, [&](const std::string& k, const std::string& v) {
      long long pid = 0;
      if (k == "host") {
        r.host = v;
      } else if (k == "pid") {
        ok = ok && parse_int_field(v, 0, std::numeric_limits<pid_t>::max(), &pid);
        r.pid = long(pid);
      } else if (k == "job") {
        r.job = v;
      } else if (k == "token") {
        r.token = v;
      }
    });
  *out = std::move(r);
  return ok;
}

bool read_lock_file(const std::string& path, std::string* raw, long long* mtime_ns) {
  struct stat st;
  if (!read_regular_file(path, kMaxRecordBytes, raw, nullptr, &st)) return false;
  if (mtime_ns) *mtime_ns = (long long)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
  return true;
}

// What a lock path holds now, for judging staleness: its record and mtime, or, for
// something that is not a readable lock file, a description and the lstat mtime (so
// that a planted FIFO is judged, and broken, like any other record). False when absent.
static bool snapshot_lock(const std::string& path, std::string* raw, long long* mtime_ns, bool* unusable) {
  *unusable = false;
  if (read_lock_file(path, raw, mtime_ns)) return true;
  const int why = errno;
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) return false;
  *unusable = !S_ISREG(st.st_mode) || why == EFBIG;  // EFBIG: larger than any record
  *raw = std::string("<unreadable lock file: ") + (*unusable ? "not a regular file" : std::strerror(why)) + ">";
  *mtime_ns = (long long)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
  return true;
}

bool lock_file_flocked(const std::string& path) {
  struct stat st;
  const int fd = open_regular(AT_FDCWD, path, &st, nullptr);
  if (fd < 0) return false;
  const bool held = ::flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK;
  ::close(fd);  // and with it our flock, if we got one
  return held;
}

std::string LockRecord::describe() const {
  if (host.empty() && token.empty()) return "an unknown owner (not a trn-train lock)";
  return "host=" + host + " pid=" + std::to_string(pid) + " job=" + (job.empty() ? "-" : job);
}

ClusterLock::ClusterLock(std::string path, LockTiming timing) : path_(std::move(path)), timing_(timing) {}

ClusterLock::~ClusterLock() { release(); }

bool ClusterLock::try_acquire(std::string* error) {
  if (held_) return true;
  // Held: no temp file created, linked and removed (three metadata changes on the NFS
  // server per poll of a busy lock). An open, not a stat: open revalidates on NFS
  // (close-to-open), a stat may answer from a cache that still shows a released lock
  // for up to acdirmax. Anything there, even a link or a FIFO, counts as held (the
  // caller's LockWatch judges it); the link below still decides who wins a free one.
  int probe = ::open(path_.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (probe >= 0 || errno != ENOENT) {
    if (probe >= 0) ::close(probe);
    return false;
  }
  const ProcessIdentity& me = ProcessIdentity::self();
  std::ostringstream rec;
  rec << "host=" << me.host << "\npid=" << me.pid << "\njob=" << me.job << "\ntoken=" << me.token << "."
      << unique_counter() << "\nstarted=" << std::fixed << wall_seconds() << "\n";
  record_ = rec.str();
  std::string tmp = temp_name_for(path_);
  // 0644 whatever the umask: other users of a shared cache must read the owner to judge it.
  if (!write_new_file(tmp, record_, 0644, nullptr) || ::chmod(tmp.c_str(), 0644) != 0) {
    if (error) *error = "cannot create lock " + path_ + ": " + std::strerror(errno);
    ::unlink(tmp.c_str());
    return false;
  }
  bool got = false;
  if (::link(tmp.c_str(), path_.c_str()) == 0) {
    got = true;
  } else if (errno == EEXIST) {
    struct stat st;
    got = ::stat(tmp.c_str(), &st) == 0 && st.st_nlink == 2;  // lost NFS reply: we did win
  } else if (errno == EPERM || errno == ENOTSUP || errno == EOPNOTSUPP) {
    // Filesystems without hard links: fall back to an exclusive create.
    got = write_new_file(path_, record_, 0644, nullptr);
  } else {
    int saved = errno;
    ::unlink(tmp.c_str());
    if (error) *error = "cannot create lock " + path_ + ": " + std::strerror(saved);
    return false;
  }
  ::unlink(tmp.c_str());
  if (!got) return false;
  held_ = true;
  stop_ = false;
  lost_ = false;
  beat_ = std::thread([this] { heartbeat_loop(); });
  return true;
}

void ClusterLock::heartbeat_loop() {
  using namespace std::chrono;
  auto next = steady_clock::now();
  while (!stop_.load()) {
    next += duration_cast<steady_clock::duration>(duration<double>(timing_.heartbeat_s));
    {
      // Woken by release() at once: a join that waited out a sleep slice delayed
      // every release (two per compiled graph: the entry and the compile slot).
      std::unique_lock<std::mutex> guard(stop_mutex_);
      if (stop_wake_.wait_until(guard, next, [this] { return stop_.load(); })) break;
    }
    std::string raw;
    if (!read_lock_file(path_, &raw, nullptr) || raw != record_) {
      if (!lost_.exchange(true))
        // Also the trainer's experiment lock: the words fit both (a compile's publishing stays
        // atomic; a second run on an experiment folder is what the lock was to prevent).
        std::fprintf(stderr, "trn-train: warning: lock %s was taken over by another process (this one's "
                     "heartbeat was late): what it guards may now be done twice\n", path_.c_str());
      continue;
    }
    ::utimensat(AT_FDCWD, path_.c_str(), nullptr, AT_SYMLINK_NOFOLLOW);  // heartbeat: server-side "now" on NFS
  }
}

void ClusterLock::release() {
  if (!held_) return;
  {
    std::lock_guard<std::mutex> guard(stop_mutex_);
    stop_ = true;
  }
  stop_wake_.notify_all();
  if (beat_.joinable()) beat_.join();
  std::string raw;
  if (read_lock_file(path_, &raw, nullptr) && raw == record_) ::unlink(path_.c_str());
  held_ = false;
}

LockWatch::Seen LockWatch::observe(const std::string& path) {
  Seen s;
  std::string raw;
  long long mtime_ns = 0;
  if (!snapshot_lock(path, &raw, &mtime_ns, &s.unusable)) {
    seen_.erase(path);
    return s;
  }
  s.exists = true;
  parse_lock_record(raw, &s.owner);  // a malformed record still has its raw text: judged by heartbeat
  s.mtime_ns = mtime_ns;
  double now = mono_seconds();
  s.age_s = wall_seconds() - double(mtime_ns) / 1e9;
  auto it = seen_.find(path);
  if (it == seen_.end() || it->second.raw != raw || it->second.mtime_ns != mtime_ns) {
    seen_[path] = Track{raw, mtime_ns, now};
    s.idle_s = 0;
  } else {
    s.idle_s = now - it->second.since;
  }
  s.foreign = !s.unusable && !s.owner.ours();
  if (s.foreign)  // no heartbeat to judge by: only age, and nobody's flock (see the header)
    s.stale = s.age_s >= kForeignLockStaleS && !lock_file_flocked(path);
  else
    s.stale = s.unusable || s.idle_s >= timing_.stale_s || s.age_s >= 2 * timing_.stale_s;
  return s;
}

bool LockWatch::break_stale(const std::string& path, const Seen& seen) {
  const std::string aside = unique_name_for(path, ".stale.");
  if (::rename(path.c_str(), aside.c_str()) != 0) {
    seen_.erase(path);
    return false;  // gone already: another waiter broke it or the owner released it
  }
  std::string raw;
  long long mtime_ns = -1;
  bool unusable = false;
  snapshot_lock(aside, &raw, &mtime_ns, &unusable);
  // Same record and no heartbeat since we judged it: it really was the dead one.
  bool ours = raw == seen.owner.raw && mtime_ns == seen.mtime_ns;
  if (!ours) ::link(aside.c_str(), path.c_str());  // a live owner slipped in: put its lock back
  ::unlink(aside.c_str());
  seen_.erase(path);
  return ours;
}

LockAttempt acquire_or_take_over(ClusterLock& lock, LockWatch& watch) {
  LockAttempt a;
  a.acquired = lock.try_acquire(&a.error);
  if (!a.acquired && a.error.empty()) {
    a.holder = watch.observe(lock.path());
    if (a.holder.exists && a.holder.stale && watch.break_stale(lock.path(), a.holder)) {
      a.broke_stale = true;
      a.acquired = lock.try_acquire(&a.error);
    }
  }
  if (a.acquired) watch.forget(lock.path());
  return a;
}

}  // namespace trn::cache
