// Hit/miss/compile counters, sharded like ccache's: each process adds its
// counts to one of 16 files chosen by its token, under a short lock with
// atomic rewrite, once (at flush), so 256 ranks do not serialise on one file.
// Statistics are advisory: if a shard cannot be locked within a second the
// update is dropped rather than delaying a job.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "cache/permissions.h"

namespace trn::cache {

struct Counters {
  uint64_t hits = 0, misses = 0, compiles = 0, compile_failures = 0, cached_failures = 0;
  uint64_t corrupt = 0, stale_takeovers = 0, lock_waits = 0, bytes_written = 0;
  double compile_seconds = 0;
  void add(const Counters& o);
  std::map<std::string, double> as_map() const;
};

constexpr int kStatShards = 16;

// Parses a shard's "name value" lines (also the fuzz entry point). False when longer
// than kMaxRecordBytes or when a known counter's value is not a finite number in
// [0, 2^64); unknown names are skipped (a newer writer's counters).
bool parse_stats_shard(std::string_view text, Counters* out);

// Adds `c` to this process's shard under <root>/.stats/ (created with the cache's
// shared modes). Best effort: a shard that is not a valid record is started afresh.
void flush_stats(const std::string& root, const Counters& c, const TrustPolicy& trust);
// Sums every shard.
Counters read_stats(const std::string& root);

}  // namespace trn::cache
