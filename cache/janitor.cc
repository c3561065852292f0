#include "cache/janitor.h"

#include <fcntl.h>
#include <sys/file.h>
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

bool remove_entry_dir(const std::string& path) {
  const std::string aside = unique_name_for(path, ".trash.");
  if (::rename(path.c_str(), aside.c_str()) != 0) return false;
  return remove_tree(aside);
}

static void sweep_leftovers(const std::string& dir, int depth, const CleanOptions& opt, CleanReport* rep) {
  for (const auto& n : list_dir(dir)) {
    std::string p = dir + "/" + n;
    struct stat st;
    if (::lstat(p.c_str(), &st) != 0) continue;
    if (is_leftover_name(n)) {
      if (wall_seconds() - double(st.st_mtim.tv_sec) < opt.leftover_age_s) continue;
      uint64_t sz = tree_size(p);
      if (!opt.dry_run) remove_tree(p);
      rep->leftovers++;
      rep->bytes_freed += sz;
      rep->lines.push_back("removed leftover " + p + " (" + format_size(sz) + ")");
    } else if (S_ISDIR(st.st_mode) && depth < 2 && n[0] != '.') {
      sweep_leftovers(p, depth + 1, opt, rep);
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
    uint64_t sz = e.bytes ? e.bytes : tree_size(e.path);
    if (!opt.dry_run && !remove_entry_dir(e.path)) return;
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
      e.path = root + "/" + cd;
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
  if (opt.leftovers) sweep_leftovers(root, 0, opt, rep);
  return true;
}

std::vector<LockReport> clear_stale_locks(const std::string& root, const LockTiming& timing, double observe_s,
                                          double neuron_lock_age_s, bool dry_run) {
  std::vector<std::string> locks;
  for (const auto& e : scan_entries(root, false))
    for (const auto& l : e.locks) locks.push_back(l);
  for (const auto& node : list_dir(root + "/.slots"))
    for (const auto& n : list_dir(root + "/.slots/" + node))
      if (n.size() > 5 && n.substr(n.size() - 5) == ".lock") locks.push_back(root + "/.slots/" + node + "/" + n);
  if (::access((root + "/.janitor.lock").c_str(), F_OK) == 0) locks.push_back(root + "/.janitor.lock");

  LockWatch watch(timing);
  std::vector<LockReport> out;
  std::vector<std::string> undecided;
  auto decide = [&](const std::string& path, bool final_pass) {
    LockReport r;
    r.path = path;
    auto seen = watch.observe(path);
    if (!seen.exists) return;  // released meanwhile
    r.owner = seen.owner.describe();
    if (seen.owner.token.empty()) {
      // Neuron's lock files: no heartbeat, so ask the filesystem whether anyone
      // holds a lock on the file (cluster-wide on NFSv4/Lustre), and require age.
      int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
      bool free_now = fd >= 0 && ::flock(fd, LOCK_EX | LOCK_NB) == 0;
      if (fd >= 0) ::close(fd);
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
