#include "cache/stats.h"

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <sstream>
#include <thread>

#include "common/fs.h"
#include "cache/cluster_lock.h"
#include "common/process_identity.h"

namespace trn::cache {

namespace {

// Every counter once: its name in the shard files and where it lives.
struct Field {
  const char* name;
  uint64_t Counters::*count;  // or, for the one non-count:
  double Counters::*seconds;
};
constexpr Field kFields[] = {
    {"hits", &Counters::hits, nullptr},
    {"misses", &Counters::misses, nullptr},
    {"compiles", &Counters::compiles, nullptr},
    {"compile_failures", &Counters::compile_failures, nullptr},
    {"cached_failures", &Counters::cached_failures, nullptr},
    {"corrupt", &Counters::corrupt, nullptr},
    {"stale_takeovers", &Counters::stale_takeovers, nullptr},
    {"lock_waits", &Counters::lock_waits, nullptr},
    {"bytes_written", &Counters::bytes_written, nullptr},
    {"compile_seconds", nullptr, &Counters::compile_seconds},
};

double get(const Counters& c, const Field& f) { return f.count ? double(c.*f.count) : c.*f.seconds; }
void set(Counters& c, const Field& f, double v) {
  if (f.count) c.*f.count = uint64_t(v);
  else c.*f.seconds = v;
}

// Shard files are "name value" lines.
Counters parse(const std::string& text) {
  Counters c;
  std::istringstream in(text);
  std::string k;
  double v;
  while (in >> k >> v)
    for (const Field& f : kFields)
      if (k == f.name) set(c, f, v);
  return c;
}

}  // namespace

void Counters::add(const Counters& o) {
  for (const Field& f : kFields) {
    if (f.count) this->*f.count += o.*f.count;
    else this->*f.seconds += o.*f.seconds;
  }
}

std::map<std::string, double> Counters::as_map() const {
  std::map<std::string, double> m;
  for (const Field& f : kFields) m[f.name] = get(*this, f);
  return m;
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
  while (!acquire_or_take_over(lock, watch).acquired) {
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
