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
//    acquire_or_take_over() is that whole sequence; every lock of the cache
//    (entries, compile slots, the janitor, stats shards) is taken through it.
//
// With the Neuron SDK on the same cache: an entry's lock is Neuron's own lock file,
// MODULE_.../model.hlo_module.pb.lock (cache/entry_layout.h). Its PRESENCE is the lock
// for both sides: the SDK's wrapper waits while the file exists ("Another process must
// be compiling..."; a killed compile leaves it, which is why the SDK has
// `neuron_parallel_compile --command clear-locks`, pytorch-neuron-parallel-compile.rst),
// and our link() can only create it where there is none. So a neuron_parallel_compile
// and trn-train never compile one graph at once, whichever locked first. Inside the
// file we keep our owner record (the SDK's content is not documented, and it is only
// the file's existence that it waits on). The two kinds are judged differently:
//  * ours (an owner record with a token): heartbeat and stale takeover, as above; the
//    SDK meanwhile waits on the file like on its own.
//  * the SDK's (anything else in a regular file, e.g. the empty file optimum-neuron's
//    tests plant): it has no heartbeat, so silence says nothing (a compile runs for
//    many minutes without touching it). It is never judged stale by heartbeat: only
//    once older than kForeignLockStaleS by its mtime and not flock()ed by anyone (the
//    rule `trn-train cache clear-locks` applies with its --neuron-lock-age).
// Something that is not a regular file or larger than any lock record (a FIFO, a
// device, a link, a directory, 8 GiB of zeros) is nobody's lock: stale at first sight.
#pragma once

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "common/cache_settings.h"
#include "common/fs.h"

namespace trn::cache {

struct LockRecord {
  std::string host, job, token;
  long pid = 0;
  std::string raw;
  std::string describe() const;  // "host=X pid=Y job=Z"
  bool ours() const { return !token.empty(); }  // else the SDK's (or a planted) lock
};

// ASSUMPTION (no public source says how long one neuronx-cc compile may run): the age,
// by its mtime, at which an SDK lock nobody flock()s was left by a killed compile and
// may be taken over. Longer than any single graph's compile on trn1/trn2.
inline constexpr double kForeignLockStaleS = 6 * 3600.0;

// True when some process holds a flock() on the file (on NFSv4 and Lustre a cluster-wide
// answer): a tool that locks its lock file that way is alive.
bool lock_file_flocked(const std::string& path);
// Parses a lock file's text (also the fuzz entry point). False when longer than
// kMaxRecordBytes or when pid is not a non-negative integer that fits a pid;
// *out->raw is the text either way (staleness compares raw records).
bool parse_lock_record(std::string_view text, LockRecord* out);

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
  bool lost() const { return lost_.load(); }
  const std::string& path() const { return path_; }

 private:
  void heartbeat_loop();
  std::string path_;
  LockTiming timing_;
  std::string record_;
  bool held_ = false;
  std::atomic<bool> stop_{false}, lost_{false};
  std::mutex stop_mutex_;  // with stop_wake_: release() wakes the heartbeat thread at once
  std::condition_variable stop_wake_;
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
    // Not a regular file (a FIFO, a device, a link, a directory planted as the lock) or
    // larger than any lock record: never a live holder's lock, so stale at first sight.
    bool unusable = false;
    // A regular file without our owner record: the Neuron SDK's lock (see above).
    bool foreign = false;
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

// The one way to take a lock others may hold: one attempt; if the lock is held and its
// holder has stopped heartbeating (as `watch` has observed it, over calls), break the
// stale lock and try once more. Never waits.
struct LockAttempt {
  bool acquired = false;
  bool broke_stale = false;  // we broke a dead holder's lock (even if another waiter then won it)
  LockWatch::Seen holder;    // the holder seen; holder.exists is false when there was none
  std::string error;         // an I/O error other than "held by someone else"
};
LockAttempt acquire_or_take_over(ClusterLock& lock, LockWatch& watch);

// Reads a lock file, which must be a regular file, not a link, of at most kMaxRecordBytes
// (read_regular_file: a FIFO or a link to /dev/zero is refused, never read); *mtime_ns from
// the same descriptor (on NFS open() revalidates, stat() may answer from cache). False when
// absent or refused (errno says which).
bool read_lock_file(const std::string& path, std::string* raw, long long* mtime_ns);

}  // namespace trn::cache
