#include "cache/janitor.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <thread>

#include "common/fs.h"
#include "common/size_text.h"
#include "cache/entry_layout.h"
#include "common/process_identity.h"

namespace trn::cache {

bool remove_entry_dir(const std::string& root, const std::string& rel) {
  const auto slash = rel.rfind('/');
  const std::string parent = slash == std::string::npos ? "" : rel.substr(0, slash);
  const std::string name = slash == std::string::npos ? rel : rel.substr(slash + 1);
  int rfd = ::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (rfd < 0) return false;
  int pfd = open_dir_beneath(rfd, parent, false, 0, gid_t(-1), nullptr);
  ::close(rfd);
  if (pfd < 0) return false;
  struct stat st;
  bool ok = false;
  if (::fstatat(pfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode)) {
    const std::string aside = unique_name_for(name, ".trash.");
    ok = ::renameat(pfd, name.c_str(), pfd, aside.c_str()) == 0 && remove_tree_at(pfd, aside);
  }
  ::close(pfd);
  return ok;
}

// A writer is alive while its lock heartbeats: a regular *.lock file whose mtime moved
// within 2 * stale_s (the age at which a waiter breaks it at first sight). The SDK's
// lock has no heartbeat: alive while younger than kForeignLockStaleS, as a waiter
// judges it (cache/cluster_lock.h).
static bool lock_is_live(int dirfd, const std::string& name, const LockTiming& timing) {
  struct stat st;
  if (::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode)) return false;
  const double age = wall_seconds() - double(st.st_mtim.tv_sec);
  if (age < 2 * timing.stale_s) return true;
  if (age >= kForeignLockStaleS) return false;
  const int fd = open_regular(dirfd, name, &st, nullptr);
  if (fd < 0) return false;
  std::string raw;
  const bool read = uint64_t(st.st_size) <= kMaxRecordBytes &&
                    read_fd_chunks(fd, uint64_t(st.st_size), [&](const char* p, size_t n) { raw.append(p, n); }) >= 0;
  ::close(fd);
  LockRecord rec;
  return read && parse_lock_record(raw, &rec) && !rec.ours();
}

static bool has_live_lock(const std::vector<std::string>& locks, const LockTiming& timing) {
  for (const auto& l : locks)
    if (lock_is_live(AT_FDCWD, l, timing)) return true;
  return false;
}

static bool has_live_lock_at(int dirfd, const LockTiming& timing) {
  for (const auto& n : list_dir_fd(dirfd))
    if (n.size() > 5 && n.compare(n.size() - 5, 5, ".lock") == 0 && lock_is_live(dirfd, n, timing)) return true;
  return false;
}

// Walks root (depth 0), compiler dirs (1) and entries (2) through directory descriptors,
// never entering a link. An entry whose lock heartbeats keeps its temp files: they belong
// to a live writer (removing one mid-compile let the compiler re-create it with only its
// later part, which was then published with a checksum of that partial file).
static void sweep_leftovers(int dirfd, const std::string& shown, int depth, bool writer_alive,
                            const LockTiming& timing, const CleanOptions& opt, CleanReport* rep) {
  for (const auto& n : list_dir_fd(dirfd)) {
    std::string p = shown + "/" + n;
    struct stat st;
    if (::fstatat(dirfd, n.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    if (is_leftover_name(n)) {
      if (writer_alive || wall_seconds() - double(st.st_mtim.tv_sec) < opt.leftover_age_s) continue;
      uint64_t sz = tree_size_at(dirfd, n);
      if (!opt.dry_run) remove_tree_at(dirfd, n);
      rep->leftovers++;
      rep->bytes_freed += sz;
      rep->lines.push_back("removed leftover " + p + " (" + format_size(sz) + ")");
    } else if (S_ISDIR(st.st_mode) && depth < 2 && n[0] != '.') {
      int sub = ::openat(dirfd, n.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (sub < 0) continue;
      sweep_leftovers(sub, p, depth + 1, depth == 1 && has_live_lock_at(sub, timing), timing, opt, rep);
      ::close(sub);
    }
  }
}

bool run_janitor(const std::string& root, const LockTiming& timing, const CleanOptions& opt, CleanReport* rep,
                 std::string* error) {
  ClusterLock lock(root + "/.janitor.lock", timing);
  LockWatch watch(timing);
  LockAttempt a = acquire_or_take_over(lock, watch);
  if (!a.acquired) {
    if (error)
      *error = !a.error.empty() ? a.error : "another janitor is running (" + a.holder.owner.describe() + "); nothing done";
    return false;
  }
  auto remove = [&](const EntryInfo& e, const char* what, int* counter) {
    if (has_live_lock(e.locks, timing)) {  // a compile (or a retry) is running in it
      rep->in_use++;
      rep->lines.push_back(std::string("kept ") + what + " " + e.path + ": in use (its lock heartbeats)");
      return;
    }
    uint64_t sz = e.bytes ? e.bytes : tree_size(e.path);
    const std::string rel = e.module.empty() ? e.compiler_dir : e.compiler_dir + "/" + e.module;
    if (!opt.dry_run && !remove_entry_dir(root, rel)) return;
    (*counter)++;
    rep->bytes_freed += sz;
    rep->lines.push_back(std::string(opt.dry_run ? "would remove " : "removed ") + what + " " + e.path + " (" +
                         format_size(sz) + ")");
  };
  std::vector<EntryInfo> entries = scan_entries(root, true);
  if (opt.failed)
    for (const auto& e : entries)
      if (e.state == EntryState::kFailed) remove(e, "FAILED", &rep->failed);
  if (opt.old_versions) {
    std::map<std::string, std::string> newest;  // compiler name -> newest version
    for (const auto& cd : list_compiler_dirs(root)) {
      std::string name, ver;
      split_compiler_dir(cd, &name, &ver);
      auto it = newest.find(name);
      if (it == newest.end() || compare_versions(ver, it->second) > 0) newest[name] = ver;
    }
    for (const auto& cd : list_compiler_dirs(root)) {
      std::string name, ver;
      split_compiler_dir(cd, &name, &ver);
      if (ver == newest[name]) continue;
      EntryInfo e;
      e.compiler_dir = cd;
      e.path = root + "/" + cd;
      for (const auto& x : entries)
        if (x.compiler_dir == cd) e.locks.insert(e.locks.end(), x.locks.begin(), x.locks.end());
      remove(e, "old compiler version", &rep->old_versions);
    }
  }
  if (opt.max_bytes > 0) {
    entries = scan_entries(root, true);
    uint64_t total = 0;
    for (const auto& e : entries) total += e.bytes;
    std::vector<const EntryInfo*> lru;
    for (const auto& e : entries)
      if (e.state == EntryState::kSuccess || e.state == EntryState::kEmpty) lru.push_back(&e);
    std::sort(lru.begin(), lru.end(), [](auto* a, auto* b) { return a->last_used < b->last_used; });
    for (const EntryInfo* e : lru) {
      if (total <= opt.max_bytes) break;
      int before = rep->lru;
      remove(*e, "least-recently-used", &rep->lru);
      if (rep->lru != before) total -= std::min(total, e->bytes);
    }
  }
  if (opt.leftovers) {
    int rfd = ::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (rfd >= 0) {
      sweep_leftovers(rfd, root, 0, false, timing, opt, rep);
      ::close(rfd);
    }
  }
  return true;
}

std::vector<LockReport> clear_stale_locks(const std::string& root, const LockTiming& timing, double observe_s,
                                          double neuron_lock_age_s, bool dry_run) {
  std::vector<std::string> locks;
  for (const auto& e : scan_entries(root, false))
    for (const auto& l : e.locks) locks.push_back(l);
  auto real_dir = [](const std::string& p) {  // never a link to somewhere outside the cache
    struct stat st;
    return ::lstat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
  };
  if (real_dir(root + "/.slots"))
    for (const auto& node : list_dir(root + "/.slots"))
      if (real_dir(root + "/.slots/" + node))
        for (const auto& n : list_dir(root + "/.slots/" + node))
          if (n.size() > 5 && n.substr(n.size() - 5) == ".lock") locks.push_back(root + "/.slots/" + node + "/" + n);
  struct stat jst;
  if (::lstat((root + "/.janitor.lock").c_str(), &jst) == 0) locks.push_back(root + "/.janitor.lock");

  LockWatch watch(timing);
  std::vector<LockReport> out;
  std::vector<std::string> undecided;
  auto decide = [&](const std::string& path, bool final_pass) {
    LockReport r;
    r.path = path;
    auto seen = watch.observe(path);
    if (!seen.exists) return;  // released meanwhile
    r.owner = seen.owner.describe();
    if (seen.unusable) {  // a FIFO, device, link or directory planted as a lock: nobody's lock
      r.removed = dry_run || watch.break_stale(path, seen);
      r.reason = "not a regular file";
      out.push_back(r);
      return;
    }
    if (seen.foreign) {
      // Neuron's lock files: no heartbeat, so ask the filesystem whether anyone
      // holds a lock on the file (cluster-wide on NFSv4/Lustre), and require age.
      const bool free_now = !lock_file_flocked(path);
      if (free_now && seen.age_s >= neuron_lock_age_s) {
        r.removed = dry_run || ::unlink(path.c_str()) == 0;
        r.reason = "Neuron lock not held by any process, " + std::to_string(int(seen.age_s)) + " s old";
      } else {
        r.reason = free_now ? "Neuron lock younger than " + std::to_string(int(neuron_lock_age_s)) + " s" : "held";
      }
      out.push_back(r);
      return;
    }
    if (seen.stale) {
      r.removed = dry_run || watch.break_stale(path, seen);
      r.reason = "no heartbeat for " + std::to_string(int(std::max(seen.idle_s, seen.age_s))) + " s";
      out.push_back(r);
    } else if (final_pass) {
      r.reason = "alive (heartbeat " + std::to_string(int(seen.age_s)) + " s ago)";
      out.push_back(r);
    } else {
      undecided.push_back(path);
    }
  };
  for (const auto& l : locks) decide(l, observe_s <= 0);
  if (!undecided.empty() && observe_s > 0) {
    // A lock is judged by its heartbeat, observed from here: watch it for stale_s.
    std::this_thread::sleep_for(std::chrono::duration<double>(std::max(observe_s, timing.stale_s) + 0.1));
    auto again = undecided;
    undecided.clear();
    for (const auto& l : again) decide(l, true);
  }
  return out;
}

}  // namespace trn::cache
