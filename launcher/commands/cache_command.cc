// `trn-train cache status|verify|clean|clear-locks`: the user and admin view of
// the shared compile cache (cache/). Exit codes: 0 ok, 1 problems found or the
// operation failed, 2 bad input (e.g. the cache dir is a file).
#include "common/size_text.h"
#include "launcher/commands/cache_command.h"

#include <sys/stat.h>

#include <CLI/CLI.hpp>

#include <cerrno>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "common/fs.h"
#include "cache/compile_cache.h"
#include "cache/entry_layout.h"
#include "cache/janitor.h"
#include "cache/permissions.h"
#include "common/config/cache_location.h"
#include "common/config/site_file.h"
#include "common/problem.h"
#include "launcher/plan/config_loader.h"
#include "launcher/errors.h"

namespace trn {
namespace {

using namespace trn::cache;

constexpr const char* kTool = "trn-train";

struct Shared {
  std::string dir;
  std::string conf;  // the cache a job of this config would use
  bool json = false;
};

// The cache to work on: the one resolver (common/config/cache_location.h) over
// --dir, the environment and the site file, so `trn-train cache status` on the head
// node finds the cache the jobs used.
bool open_dir(const Shared& s, CacheOptions* opt, int* exit_code) {
  Problems problems;
  const EnvMap env = current_environment();
  config::SiteConfig site;
  if (!config::load_site_config(env, &site, &problems)) {
    *exit_code = report_problems(kTool, problems);
    return false;
  }
  std::optional<LoadedConfig> cfg;
  if (!s.conf.empty()) {
    try {
      cfg = load_config(s.conf, {}, site);
    } catch (const InputError& e) {
      *exit_code = report_problems(kTool, e.problems());
      return false;
    }
  }
  config::CacheSources sources = cache_sources(cfg ? &*cfg : nullptr, site);
  sources.explicit_dir = s.dir;
  static_cast<CacheSettings&>(*opt) = config::resolve_cache_settings(sources, env, &problems);
  if (!problems.empty()) {
    *exit_code = report_problems(kTool, problems);
    return false;
  }
  // Inspecting must not create: a mistyped --dir would otherwise look like an empty cache.
  struct stat st;
  if (::stat(opt->dir.c_str(), &st) != 0 && errno == ENOENT) {
    report_problems(kTool, {{"cache dir", opt->dir,
                             "does not exist: nothing has been cached there (chosen by " + opt->dir_source +
                                 "); check --dir, TRN_TRAIN_CACHE_DIR, NEURON_CC_FLAGS --cache_dir, "
                                 "NEURON_COMPILE_CACHE_URL, launch.cache_dir or the site file's cache_root"}});
    *exit_code = 1;
    return false;
  }
  std::unique_ptr<CompileCache> c;
  std::string err;
  if (!CompileCache::open(*opt, &c, &err)) {
    *exit_code = report_problems(kTool, {{"cache dir", opt->dir, err}});
    return false;
  }
  opt->dir = c->options().dir;
  return true;
}

int cmd_status(const Shared& s, bool entries) {
  CacheOptions opt;
  int rc = 0;
  if (!open_dir(s, &opt, &rc)) return rc;
  auto all = scan_entries(opt.dir, true);
  struct Row { int n[4] = {0, 0, 0, 0}; uint64_t bytes = 0; };
  std::map<std::string, Row> rows;
  for (const auto& e : all) {
    Row& r = rows[e.compiler_dir];
    r.n[int(e.state)]++;
    r.bytes += e.bytes;
  }
  for (const auto& cd : list_compiler_dirs(opt.dir)) rows[cd];
  std::printf("cache: %s\n", opt.dir.c_str());
  std::printf("%-44s %8s %8s %8s %8s %12s\n", "compiler version", "SUCCESS", "FAILED", "LOCKED", "EMPTY", "size");
  Row total;
  for (const auto& [cd, r] : rows) {
    std::printf("%-44s %8d %8d %8d %8d %12s\n", cd.c_str(), r.n[0], r.n[1], r.n[2], r.n[3], format_size(r.bytes).c_str());
    for (int i = 0; i < 4; ++i) total.n[i] += r.n[i];
    total.bytes += r.bytes;
  }
  std::printf("%-44s %8d %8d %8d %8d %12s\n", "total", total.n[0], total.n[1], total.n[2], total.n[3],
              format_size(total.bytes).c_str());
  if (entries) {
    std::printf("\n");
    for (const auto& e : all) {
      std::printf("%-8s %s/%s  %s\n", state_name(e.state), e.compiler_dir.c_str(), e.module.c_str(),
                  format_size(e.bytes).c_str());
      for (const auto& l : e.locks) {
        std::string raw;
        const bool regular = read_lock_file(l, &raw, nullptr);
        LockRecord owner;
        parse_lock_record(raw, &owner);
        // A regular lock file without our record is the Neuron SDK's (cache/cluster_lock.h).
        const bool sdk = regular && !owner.ours();
        std::printf("         lock %s held by %s\n", l.c_str(),
                    sdk ? "a Neuron SDK process (no heartbeat: waited for, see clear-locks)" : owner.describe().c_str());
      }
    }
  }
  Counters c = read_stats(opt.dir);
  std::printf("\nstats: hits %llu, misses %llu, compiles %llu (%.1f s), compile failures %llu, cached failures "
              "served %llu, corrupt entries repaired %llu, stale locks taken over %llu, written %s\n",
              (unsigned long long)c.hits, (unsigned long long)c.misses, (unsigned long long)c.compiles,
              c.compile_seconds, (unsigned long long)c.compile_failures, (unsigned long long)c.cached_failures,
              (unsigned long long)c.corrupt, (unsigned long long)c.stale_takeovers, format_size(c.bytes_written).c_str());
  if (opt.max_bytes)
    std::printf("size limit: %s (%s used)\n", format_size(opt.max_bytes).c_str(), format_size(total.bytes).c_str());
  return 0;
}

int cmd_verify(const Shared& s, bool fix) {
  CacheOptions opt;
  int rc = 0;
  if (!open_dir(s, &opt, &rc)) return rc;
  TrustPolicy trust = TrustPolicy::for_current_user(opt.group, nullptr);
  int ok = 0, bad = 0, unverified = 0;
  for (const auto& e : scan_entries(opt.dir, false)) {
    if (e.state != EntryState::kSuccess) continue;
    // Trust first, then open without following links or waiting on FIFOs (as root
    // too): verify must not read whatever a planted record or link points to. Unlike a
    // lookup, which trusts an unchanged stamp, verify hashes every artifact in full.
    const EntryCheck c = check_entry_dir(e.path, trust, false, Hashing::kAlways);
    if (c.verdict == EntryVerdict::kUntrusted) {
      std::printf("UNTRUSTED %s: %s\n", e.path.c_str(), c.why.c_str());
      ++bad;
    } else if (c.verdict == EntryVerdict::kCorrupt) {
      std::printf("CORRUPT %s (%s)%s\n", e.path.c_str(), c.why.c_str(), fix ? ": removed" : "");
      if (fix) remove_entry_dir(opt.dir, e.compiler_dir + "/" + e.module);
      ++bad;
    } else if (c.verdict == EntryVerdict::kValid) {
      ++(c.has_checksum ? ok : unverified);  // no checksum: written by Neuron's own tools
    }
  }
  std::printf("verified %d entries: %d ok, %d bad, %d without checksum (written by Neuron tools)\n", ok + bad + unverified,
              ok, bad, unverified);
  return bad ? 1 : 0;
}

int cmd_clean(const Shared& s, CleanOptions copt, const std::string& max_size) {
  CacheOptions opt;
  int rc = 0;
  if (!open_dir(s, &opt, &rc)) return rc;
  if (!max_size.empty() && !parse_size(max_size, &copt.max_bytes)) {
    return report_problems(kTool, {{"--max-size", max_size, "must be a size such as 500G, 1.5T or 800M (below 8 EiB)"}});
  }
  if (max_size.empty() && opt.max_bytes) copt.max_bytes = opt.max_bytes;
  CleanReport rep;
  std::string err;
  if (!run_janitor(opt.dir, opt.timing, copt, &rep, &err)) {
    report_problems(kTool, {{"cache dir", opt.dir, err}});
    return 1;
  }
  for (const auto& l : rep.lines) std::printf("%s\n", l.c_str());
  std::printf("%s %d failed, %d old-version, %d least-recently-used, %d leftover; %s freed\n",
              copt.dry_run ? "would remove" : "removed", rep.failed, rep.old_versions, rep.lru, rep.leftovers,
              format_size(rep.bytes_freed).c_str());
  return 0;
}

int cmd_clear_locks(const Shared& s, double observe_s, double neuron_age_s, bool dry_run) {
  CacheOptions opt;
  int rc = 0;
  if (!open_dir(s, &opt, &rc)) return rc;
  if (observe_s < 0) observe_s = opt.timing.stale_s;  // default: the stale timeout
  auto reps = clear_stale_locks(opt.dir, opt.timing, observe_s, neuron_age_s, dry_run);
  int removed = 0, kept = 0;
  for (const auto& r : reps) {
    std::printf("%s %s (owner %s): %s\n", r.removed ? (dry_run ? "would remove" : "removed") : "kept", r.path.c_str(),
                r.owner.c_str(), r.reason.c_str());
    (r.removed ? removed : kept)++;
  }
  std::printf("%d stale locks %s, %d live locks kept\n", removed, dry_run ? "found" : "removed", kept);
  return 0;
}

}  // namespace

void add_cache_command(CLI::App& app, int* exit_code) {
  auto shared = std::make_shared<Shared>();
  CLI::App* cache = app.add_subcommand("cache", "Inspect and maintain the shared compile cache");
  cache->require_subcommand(1);
  cache->add_option("--dir", shared->dir,
                    "Cache directory (default, first set: $TRN_TRAIN_CACHE_DIR, --cache_dir in $NEURON_CC_FLAGS, "
                    "$NEURON_COMPILE_CACHE_URL, --conf's launch.cache_dir, the site file's cache_root, --conf's "
                    "compiler_cache_url, /var/tmp/neuron-compile-cache)");
  cache->add_option("--conf", shared->conf,
                    "Inspect the cache a job of this config would use (its launch.cache_dir and compiler_cache_url "
                    "take part in the choice above)");

  auto entries = std::make_shared<bool>(false);
  CLI::App* status = cache->add_subcommand("status", "Entries per compiler version, by state, with sizes and stats");
  status->add_flag("--entries,-v", *entries, "Also list every entry with its state and lock owners");
  status->fallthrough();  // `cache status --dir D` as well as `cache --dir D status`
  status->callback([=] { *exit_code = cmd_status(*shared, *entries); });

  auto fix = std::make_shared<bool>(false);
  CLI::App* verify = cache->add_subcommand("verify", "Check every SUCCESS entry's checksum and permissions");
  verify->add_flag("--fix", *fix, "Remove corrupt entries (they are recompiled on next use)");
  verify->fallthrough();  // `cache verify --dir D` as well as `cache --dir D verify`
  verify->callback([=] { *exit_code = cmd_verify(*shared, *fix); });

  auto copt = std::make_shared<CleanOptions>();
  auto max_size = std::make_shared<std::string>();
  auto keep_failed = std::make_shared<bool>(false);
  CLI::App* clean = cache->add_subcommand("clean", "Remove failed entries, old compiler versions, leftovers, LRU beyond a size");
  clean->add_flag("--keep-failed", *keep_failed, "Do not remove FAILED entries");
  clean->add_flag("--old-versions", copt->old_versions, "Remove every version but the newest of each compiler");
  clean->add_option("--max-size", *max_size, "Evict least-recently-used entries until the cache is below SIZE (e.g. 500G)");
  clean->add_option("--leftover-age", copt->leftover_age_s, "Age in seconds after which temp files of killed writers are removed")
      ->capture_default_str();
  clean->add_flag("--dry-run,-n", copt->dry_run, "Only print what would be removed");
  clean->fallthrough();  // `cache clean --dir D` as well as `cache --dir D clean`
  clean->callback([=] {
    CleanOptions o = *copt;
    o.failed = !*keep_failed;
    *exit_code = cmd_clean(*shared, o, *max_size);
  });

  auto observe = std::make_shared<double>(-1);
  auto neuron_age = std::make_shared<double>(3600);
  auto dry = std::make_shared<bool>(false);
  CLI::App* cl = cache->add_subcommand("clear-locks", "Remove locks whose owner stopped heartbeating (any node)");
  cl->add_option("--observe", *observe,
                 "Seconds to watch fresh-looking locks for a heartbeat (default: the stale timeout, TRN_CACHE_STALE_S)");
  cl->add_option("--neuron-lock-age", *neuron_age, "Minimum age of an unheld Neuron *.lock file before removal")
      ->capture_default_str();
  cl->add_flag("--dry-run,-n", *dry, "Only print what would be removed");
  cl->fallthrough();  // `cache clear-locks --dir D` as well as `cache --dir D clear-locks`
  cl->callback([=] {
    *exit_code = cmd_clear_locks(*shared, *observe, *neuron_age, *dry);
  });
}

}  // namespace trn
