// One holder per lock path across every node that mounts the cache, on NFS too.
//
// Protocol (after ccache's LockFile, adapted to long compiles):
//  * acquire: write the owner record (host, pid, job, token, start time) to a
//    private temp file, then link() it to "<path>". link is atomic on NFS,
//    unlike O_EXCL on old clients; if the NFS reply is lost and link reports
//    EEXIST, a link count of 2 on our temp file proves we won anyway.
//  * heartbeat: a thread bumps the lock file's mtime every heartbeat_s and
//    checks the record is still ours (if someone broke it, we log "lock lost";
//    publishing stays safe because entries are content-addressed and renamed).
//  * staleness: a waiter never trusts kill(pid,0) (the owner is usually on
//    another host) nor, primarily, another host's clock: it records the lock's
//    (record, mtime) and the local monotonic time it last saw them change. No
//    change for stale_s => stale. A lock whose mtime is already older than
//    2*stale_s by the wall clock is stale at first sight (left from a dead job).
//  * takeover: rename the stale lock to a unique name (only one breaker can win
//    the rename), re-read it, and if it was not the record we judged stale (a
//    new owner slipped in), link it back. Then acquire normally.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <thread>

namespace trn::cache {

struct LockRecord {
  std::string host, job, token;
  long pid = 0;
  double started = 0;
  std::string raw;
  static LockRecord parse(const std::string& text);
  std::string describe() const;  // "host=X pid=Y job=Z"
};

struct LockTiming {
  double heartbeat_s = 2.0;
  double stale_s = 30.0;
};

class ClusterLock {
 public:
  ClusterLock(std::string path, LockTiming timing);
  ~ClusterLock();  // releases
  ClusterLock(const ClusterLock&) = delete;
  ClusterLock& operator=(const ClusterLock&) = delete;

  // One attempt; true when we hold the lock (heartbeat thread started).
  // *error is set on I/O errors other than "held by someone else".
  bool try_acquire(std::string* error = nullptr);
  void release();
  bool held() const { return held_; }
  bool lost() const { return lost_.load(); }
  const std::string& path() const { return path_; }

 private:
  void heartbeat_loop();
  std::string path_;
  LockTiming timing_;
  std::string record_;
  bool held_ = false;
  std::atomic<bool> stop_{false}, lost_{false};
  std::thread beat_;
};

// Tracks what this process has seen of other holders' locks, to judge staleness.
class LockWatch {
 public:
  explicit LockWatch(LockTiming timing) : timing_(timing) {}
  struct Seen {
    bool exists = false;
    LockRecord owner;
    double idle_s = 0;   // how long the record+mtime have not changed (as observed)
    double age_s = 0;    // wall-clock age of the mtime
    bool stale = false;
    long long mtime_ns = 0;
  };
  Seen observe(const std::string& path);
  // Breaks the lock if it still holds the record we judged stale. True when broken
  // (by us); false when someone else got there first or it was alive after all.
  bool break_stale(const std::string& path, const Seen& seen);
  void forget(const std::string& path) { seen_.erase(path); }

 private:
  struct Track {
    std::string raw;
    long long mtime_ns = 0;
    double since = 0;
  };
  LockTiming timing_;
  std::map<std::string, Track> seen_;
};

// Reads a lock file with open()+fstat() (forces NFS close-to-open revalidation,
// where stat() may answer from the attribute cache). False when it does not exist.
bool read_lock_file(const std::string& path, std::string* raw, long long* mtime_ns);

}  // namespace trn::cache
