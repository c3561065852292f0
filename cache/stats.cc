#include "cache/stats.h"

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <sstream>
#include <thread>

#include "cache/atomic_file.h"
#include "cache/cluster_lock.h"
#include "cache/process_identity.h"

namespace trn::cache {

void Counters::add(const Counters& o) {
  hits += o.hits; misses += o.misses; compiles += o.compiles; compile_failures += o.compile_failures;
  cached_failures += o.cached_failures; corrupt += o.corrupt; stale_takeovers += o.stale_takeovers;
  lock_waits += o.lock_waits; bytes_written += o.bytes_written; compile_seconds += o.compile_seconds;
}

std::map<std::string, double> Counters::as_map() const {
  return {{"hits", double(hits)}, {"misses", double(misses)}, {"compiles", double(compiles)},
          {"compile_failures", double(compile_failures)}, {"cached_failures", double(cached_failures)},
          {"corrupt", double(corrupt)}, {"stale_takeovers", double(stale_takeovers)},
          {"lock_waits", double(lock_waits)}, {"bytes_written", double(bytes_written)},
          {"compile_seconds", compile_seconds}};
}

static Counters parse(const std::string& text) {
  Counters c;
  std::istringstream in(text);
  std::string k;
  double v;
  while (in >> k >> v) {
    if (k == "hits") c.hits = uint64_t(v);
    else if (k == "misses") c.misses = uint64_t(v);
    else if (k == "compiles") c.compiles = uint64_t(v);
    else if (k == "compile_failures") c.compile_failures = uint64_t(v);
    else if (k == "cached_failures") c.cached_failures = uint64_t(v);
    else if (k == "corrupt") c.corrupt = uint64_t(v);
    else if (k == "stale_takeovers") c.stale_takeovers = uint64_t(v);
    else if (k == "lock_waits") c.lock_waits = uint64_t(v);
    else if (k == "bytes_written") c.bytes_written = uint64_t(v);
    else if (k == "compile_seconds") c.compile_seconds = v;
  }
  return c;
}

void flush_stats(const std::string& root, const Counters& c) {
  std::string dir = root + "/.stats";
  if (!make_dirs(dir, 0755, nullptr)) return;
  unsigned shard = 0;
  for (char ch : ProcessIdentity::self().token) shard = shard * 31 + unsigned(ch);
  std::string file = dir + "/shard" + std::to_string(shard % kStatShards);
  LockTiming t{0.5, 5.0};
  ClusterLock lock(file + ".lock", t);
  LockWatch watch(t);
  double deadline = mono_seconds() + 1.0;
  while (!lock.try_acquire()) {
    auto seen = watch.observe(file + ".lock");
    if (seen.exists && seen.stale) watch.break_stale(file + ".lock", seen);
    if (mono_seconds() > deadline) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(5 + std::rand() % 20));
  }
  std::string text;
  Counters total;
  if (read_file(file, &text)) total = parse(text);
  total.add(c);
  std::ostringstream o;
  o.setf(std::ios::fixed);
  o.precision(3);
  for (auto& [k, v] : total.as_map()) o << k << " " << v << "\n";
  write_file_atomic(file, o.str(), 0644, nullptr);
}

Counters read_stats(const std::string& root) {
  Counters total;
  for (int i = 0; i < kStatShards; ++i) {
    std::string text;
    if (read_file(root + "/.stats/shard" + std::to_string(i), &text)) total.add(parse(text));
  }
  return total;
}

}  // namespace trn::cache
