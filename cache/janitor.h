// Hygiene for a shared cache: removing failed entries, old compiler versions,
// leftovers of killed writers, and least-recently-used entries beyond a size
// limit. Only one janitor runs at a time cluster-wide (<root>/.janitor.lock,
// taken without waiting): 256 ranks finishing together must not all walk and
// prune the tree. Entries are removed by renaming them aside first, so a
// reader sees either the whole entry or none of it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cache/cluster_lock.h"

namespace trn::cache {

struct CleanOptions {
  bool failed = true;            // FAILED entries
  bool old_versions = false;     // all but the newest version of each compiler
  uint64_t max_bytes = 0;        // LRU-evict SUCCESS entries beyond this; 0 = no limit
  // Temp files / broken locks / trash older than leftover_age_s; never those of an entry
  // whose lock still heartbeats (a live writer's temp file, however old).
  bool leftovers = true;
  double leftover_age_s = 3600;
  bool dry_run = false;
};

struct CleanReport {
  int failed = 0, old_versions = 0, lru = 0, leftovers = 0;
  int in_use = 0;  // entries kept because a live writer holds their lock
  uint64_t bytes_freed = 0;
  std::vector<std::string> lines;  // one per removal: "removed FAILED <path> (<size>)"
};

// False (and *error "another janitor is running: <owner>") when the janitor lock is held.
bool run_janitor(const std::string& root, const LockTiming& timing, const CleanOptions& opt, CleanReport* report,
                 std::string* error);

// Makes <root>/<rel> (an entry "<compiler dir>/MODULE_..." or a compiler dir) disappear
// atomically, then deletes it. Its parent is reached from the cache root's descriptor
// one component at a time without following links, the entry is renamed aside inside
// that parent and deleted without following links: a link planted anywhere on the way
// (a compiler dir or MODULE_* linked to a folder outside the cache) makes it fail
// rather than delete what the link points to. False when not removed.
bool remove_entry_dir(const std::string& root, const std::string& rel);

struct LockReport {
  std::string path, owner;
  bool removed = false;
  std::string reason;  // why removed or kept
};

// Removes locks whose heartbeat is stale, cluster-wide: trn-train locks whose
// mtime has not moved for stale_s (observing up to observe_s), Neuron's *.lock
// files only when no process holds a lock on them and they are older than
// neuron_lock_age_s. Never looks at process lists.
std::vector<LockReport> clear_stale_locks(const std::string& root, const LockTiming& timing, double observe_s,
                                          double neuron_lock_age_s, bool dry_run);

}  // namespace trn::cache
