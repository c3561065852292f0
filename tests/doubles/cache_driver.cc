// cache_driver: a small client of the cache library for the stress tests and
// benchmarks (not installed). Subcommands:
//   get      every graph via get_or_compile, in a random order; checks each
//            artifact's content against what the test compiler writes
//   compile  distributed compile (compile_distributed), as COMPILE=1 would
//   populate N entries compiled in-process (--bytes each); lookup-bench times
//            N warm lookups (--repeat R: each entry R times)
//   cache ...  the same `cache status|verify|clean|clear-locks` as trn-train
#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <cstdio>
#include <random>
#include <unistd.h>

#include "cache/checksum.h"
#include "cache/compile_cache.h"
#include "cache/compile_scheduler.h"
#include "common/config/cache_location.h"
#include "common/env_map.h"
#include "common/fs.h"
#include "common/problem.h"
#include "common/process_identity.h"
#include "launcher/commands/cache_command.h"

using namespace trn;
using namespace trn::cache;

struct Common {
  std::string dir, compiler, name = "testcc", version = "1.0", flags = "-O2";
  double heartbeat = 0, stale = 0;
  bool retry = false, quiet = false, latencies = false;
  std::vector<std::string> graphs;
};

static bool open_cache(const Common& c, std::unique_ptr<CompileCache>* cache) {
  Problems problems;
  CacheOptions o;
  config::CacheSources sources;
  sources.explicit_dir = c.dir;
  static_cast<CacheSettings&>(o) = config::resolve_cache_settings(sources, current_environment(), &problems);
  if (!problems.empty()) {
    report_problems("cache_driver", problems);
    return false;
  }
  if (c.heartbeat > 0) o.timing.heartbeat_s = c.heartbeat;
  if (c.stale > 0) o.timing.stale_s = c.stale;
  o.retry_failed = o.retry_failed || c.retry;
  o.quiet = c.quiet;
  std::string err;
  if (!CompileCache::open(o, cache, &err)) {
    std::fprintf(stderr, "cache_driver: %s\n", err.c_str());
    return false;
  }
  return true;
}

static std::vector<GraphJob> jobs_for(const Common& c) {
  std::vector<GraphJob> jobs;
  for (const auto& g : c.graphs) {
    std::string bytes;
    read_file(g, &bytes);
    jobs.push_back({g, make_key({c.name, c.version}, {c.flags}, bytes)});
  }
  return jobs;
}

static CompileFn compiler_for(const Common& c) {
  std::string cmd = c.compiler;
  if (cmd.empty()) {
    char self[4096] = {0};
    ssize_t n = ::readlink("/proc/self/exe", self, sizeof(self) - 1);
    std::string exe(self, n > 0 ? size_t(n) : 0);
    cmd = exe.substr(0, exe.rfind('/')) + "/../../tests/doubles/cache_test_compiler.sh";
  }
  return command_compiler({cmd, "{in}", "{out}"});
}

// What tests/doubles/cache_test_compiler.sh writes for a graph.
static std::string expected_artifact(const std::string& graph_bytes) {
  return "artifact-part1 " + sha256_hex(graph_bytes) + "\nartifact-part2 " +
         (graph_bytes.size() && graph_bytes.back() == '\n' ? graph_bytes.substr(0, graph_bytes.size() - 1) : graph_bytes) +
         "\n";
}

static int cmd_get(const Common& c) {
  std::unique_ptr<CompileCache> cache;
  if (!open_cache(c, &cache)) return 2;
  auto jobs = jobs_for(c);
  std::mt19937 rng(unsigned(::getpid()));
  std::shuffle(jobs.begin(), jobs.end(), rng);
  int got = 0, compiled = 0, failed = 0, wrong = 0;
  std::string hit_us;  // --latencies: each hit's time in get_or_compile (bench/cache_storm.sh)
  for (const auto& j : jobs) {
    auto t0 = std::chrono::steady_clock::now();
    CacheResult r = cache->get_or_compile(j.key, j.path, compiler_for(c));
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0).count();
    if (r.outcome == Outcome::kHit) hit_us += " " + std::to_string(us);
    if (!r.ok()) {
      ++failed;
      std::fprintf(stderr, "cache_driver: %s\n", r.message.c_str());
      continue;
    }
    std::string art, bytes;
    read_file(r.artifact_path, &art);
    read_file(j.path, &bytes);
    if (art != expected_artifact(bytes)) {
      ++wrong;
      std::fprintf(stderr, "cache_driver: WRONG ARTIFACT served for %s at %s (%zu bytes)\n", j.path.c_str(),
                   r.artifact_path.c_str(), art.size());
      continue;
    }
    ++got;
    if (r.outcome == Outcome::kCompiled) ++compiled;
  }
  const Counters& k = cache->counters();
  std::printf("rank %s host %s: got %d/%zu artifacts, compiled %d, failed %d, wrong %d, stale takeovers %llu\n",
              std::getenv("SLURM_PROCID") ? std::getenv("SLURM_PROCID") : "0", ProcessIdentity::self().host.c_str(),
              got, jobs.size(), compiled, failed, wrong, (unsigned long long)k.stale_takeovers);
  if (c.latencies) std::printf("hit latencies us:%s\n", hit_us.c_str());
  return wrong ? 3 : (failed ? 1 : 0);
}

static int cmd_compile(const Common& c, int per_node) {
  std::unique_ptr<CompileCache> cache;
  if (!open_cache(c, &cache)) return 2;
  ScheduleOptions so;
  so.per_node_parallel = per_node;
  const RankInfo me = RankInfo::from_env();
  auto sum = compile_distributed(*cache, jobs_for(c), compiler_for(c), me, so);
  // Every rank's view of the whole job (tests/cluster/test_cache_storm.sh: each node has all of it).
  std::printf("compile rank %d node %s: %d graphs, %d succeeded, %d failed, stale takeovers %llu\n", me.rank,
              me.node_name.c_str(), sum.graphs, sum.succeeded, sum.failed,
              (unsigned long long)cache->counters().stale_takeovers);
  return sum.failed ? 1 : 0;
}

static CacheKey populate_key(int i) {
  return make_key({"benchcc", "1.0"}, {"-O2"}, "graph " + std::to_string(i));
}

// Artifacts of `bytes` bytes (plus their own path, so that no two are alike).
static int cmd_populate(const Common& c, int count, size_t bytes) {
  std::unique_ptr<CompileCache> cache;
  if (!open_cache(c, &cache)) return 2;
  CompileFn fn = [bytes](const CompileRequest& r) {
    return write_file_atomic(r.output_path, std::string(bytes, 'x') + r.output_path, 0644, nullptr) ? 0 : 1;
  };
  for (int i = 0; i < count; ++i) {
    CacheResult r = cache->get_or_compile(populate_key(i), "", fn);
    if (!r.ok()) {
      std::fprintf(stderr, "cache_driver: %s\n", r.message.c_str());
      return 1;
    }
  }
  return 0;
}

// Times `repeat` rounds of lookups of the `count` populated entries.
static int cmd_lookup_bench(const Common& c, int count, int repeat) {
  std::unique_ptr<CompileCache> cache;
  if (!open_cache(c, &cache)) return 2;
  std::vector<CacheKey> keys;
  for (int i = 0; i < count; ++i) keys.push_back(populate_key(i));
  const int lookups = count * repeat;
  int hits = 0;
  // Pass 1 is what a fresh process sees; pass 2 has the kernel's dentry/page caches warm.
  // The CPU time (user + system) says what the wall time means on a busy machine.
  for (int pass = 1; pass <= 2; ++pass) {
    auto t0 = std::chrono::steady_clock::now();
    std::clock_t c0 = std::clock();
    hits = 0;
    for (int k = 0; k < repeat; ++k)
      for (const auto& key : keys) hits += cache->lookup(key).ok();
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    double cpu_ms = 1000.0 * double(std::clock() - c0) / CLOCKS_PER_SEC;
    std::printf("warm lookup of %d entries, %d lookups (pass %d): %.1f ms (cpu %.1f ms, %d hits)\n", count, lookups,
                pass, ms, cpu_ms, hits);
  }
  return hits == lookups ? 0 : 1;
}

int main(int argc, char** argv) {
  CLI::App app{"cache_driver: client of the compile cache for tests and benchmarks"};
  app.require_subcommand(1);
  Common c;
  int per_node = 1, count = 1000, repeat = 1, exit_code = 0;
  size_t bytes = 4096;
  auto add_common = [&](CLI::App* s) {
    s->add_option("--dir", c.dir);
    s->add_option("--compiler", c.compiler, "compiler command (default: the test double)");
    s->add_option("--compiler-name", c.name);
    s->add_option("--compiler-version", c.version);
    s->add_option("--flags", c.flags);
    s->add_option("--heartbeat", c.heartbeat);
    s->add_option("--stale", c.stale);
    s->add_flag("--retry-failed", c.retry);
    s->add_flag("--quiet", c.quiet);
    s->add_flag("--latencies", c.latencies, "get: print each hit's time in microseconds");
  };
  // get and compile take graph files; populate and lookup-bench a number of generated entries.
  auto subcommand = [&](const char* name, bool takes_graphs) {
    CLI::App* s = app.add_subcommand(name);
    add_common(s);
    if (takes_graphs) s->add_option("graphs", c.graphs)->required();
    else s->add_option("--count", count);
    return s;
  };
  auto get = subcommand("get", true);
  auto comp = subcommand("compile", true);
  comp->add_option("--per-node", per_node);
  auto pop = subcommand("populate", false);
  pop->add_option("--bytes", bytes, "artifact size");
  auto lb = subcommand("lookup-bench", false);
  lb->add_option("--repeat", repeat, "look every entry up this many times");
  trn::add_cache_command(app, &exit_code);
  CLI11_PARSE(app, argc, argv);
  if (get->parsed()) return cmd_get(c);
  if (comp->parsed()) return cmd_compile(c, per_node);
  if (pop->parsed()) return cmd_populate(c, count, bytes);
  if (lb->parsed()) return cmd_lookup_bench(c, count, repeat);
  return exit_code;
}
