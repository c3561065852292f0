// Where the shared compile cache lives and how it is shared: one plain value,
// resolved once (common/config/cache_location.h) and handed to everything that
// touches the cache: the launcher's plan (both backends' environment), the native
// trainer, `trn-train cache`, the compile scheduler.
#pragma once

#include <cstdint>
#include <string>

namespace trn {

struct LockTiming {
  double heartbeat_s = 2.0;  // how often a lock holder touches its lock
  double stale_s = 30.0;     // no heartbeat seen for this long: the lock may be taken over
};

struct CacheSettings {
  std::string dir;          // cache root (a local or shared filesystem path)
  std::string dir_source;   // which rule chose it, e.g. "cache_root in /etc/trn-train/site.yaml"
  bool node_local_default = false;  // nothing chose it: the per-node /var/tmp default
  std::string group;        // group allowed to share (and write) the cache; "" = owner only
  LockTiming timing;
  bool retry_failed = false;  // recompile entries that failed before
  uint64_t max_bytes = 0;     // size limit for the janitor; 0 = none
};

}  // namespace trn
