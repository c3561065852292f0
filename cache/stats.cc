#include "cache/stats.h"

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <sstream>
#include <thread>

#include "cache/advisory_file.h"
#include "cache/cluster_lock.h"
#include "common/fs.h"
#include "common/process_identity.h"
#include "cache/record_fields.h"

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

}  // namespace

bool parse_stats_shard(std::string_view text, Counters* out) {
  if (text.size() > kMaxRecordBytes) return false;
  Counters c;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(start, end - start);
    start = end + 1;
    const size_t sp = line.find(' ');
    if (sp == std::string_view::npos) continue;
    const std::string_view name = line.substr(0, sp);
    for (const Field& f : kFields) {
      if (name != f.name) continue;
      double v = 0;
      if (!parse_finite_field(line.substr(sp + 1), &v) || v < 0 || v >= 18446744073709551616.0) return false;
      set(c, f, v);
    }
  }
  *out = c;
  return true;
}

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

void flush_stats(const std::string& root, const Counters& c, const TrustPolicy& trust) {
  std::string dir = root + "/.stats";
  if (!make_dirs_beneath(root, ".stats", dir_mode(trust), shared_group(trust), nullptr)) return;  // never via a link
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
  if (read_regular_file(file, kMaxRecordBytes, &text) && !parse_stats_shard(text, &total)) total = Counters{};
  total.add(c);
  std::ostringstream o;
  o.setf(std::ios::fixed);
  o.precision(3);
  for (auto& [k, v] : total.as_map()) o << k << " " << v << "\n";
  replace_advisory_file(file, o.str(), file_mode(trust));
}

Counters read_stats(const std::string& root) {
  Counters total;
  for (int i = 0; i < kStatShards; ++i) {
    std::string text;
    Counters shard;
    if (read_regular_file(root + "/.stats/shard" + std::to_string(i), kMaxRecordBytes, &text) &&
        parse_stats_shard(text, &shard))
      total.add(shard);
  }
  return total;
}

}  // namespace trn::cache
