// Neuron layout and entry states, cleaning, locks, and bad input.
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include <thread>

#include "cache/cluster_lock.h"
#include "cache/compile_cache.h"
#include "cache/entry_layout.h"
#include "cache/janitor.h"
#include "common/process_identity.h"
#include "cache/stats.h"
#include "cache_test_util.h"

using namespace trn;
using namespace trn::cache;
using namespace cachetest;

namespace {

// A cache tree as neuronx-cc / neuron_parallel_compile leave it, one entry per state,
// over two compiler versions.
std::string fake_neuron_tree(const std::string& root) {
  std::string v_old = root + "/neuronxcc-2.14.227.0+2d4f85be", v_new = root + "/neuronxcc-2.15.128.0+56dc5a86";
  auto entry = [](const std::string& v, const std::string& m, std::vector<std::string> files) {
    make_dirs(v + "/" + m, 0755, nullptr);
    for (auto& f : files) put(v + "/" + m + "/" + f, f == "model.neff" ? std::string(1000, 'n') : "x");
  };
  entry(v_new, "MODULE_56f0d314fda2b6e1e336+617f6939", {"model.hlo_module.pb", "model.neff", "model.done", "compile_flags.json"});
  entry(v_new, "MODULE_11111111111111111111+617f6939", {"model.hlo_module.pb", "model.log"});          // FAILED
  entry(v_new, "MODULE_22222222222222222222+617f6939", {"model.hlo_module.pb", "model.hlo_module.pb.lock"});  // LOCKED
  entry(v_new, "MODULE_33333333333333333333+617f6939", {"model.hlo_module.pb"});                      // EMPTY
  entry(v_old, "MODULE_9219523464496887986+abb26765", {"model.hlo.pb", "model.neff", "model.done", "compile_flags.txt"});
  return root;
}

}  // namespace

TEST(CacheLayout, NeuronEntryStates) {
  std::string root = fake_neuron_tree(scratch_dir());
  auto entries = scan_entries(root, true);
  ASSERT_EQ(entries.size(), 5u);
  std::map<std::string, std::string> state;
  for (auto& e : entries) state[e.module] = state_name(e.state);
  EXPECT_EQ(state["MODULE_56f0d314fda2b6e1e336+617f6939"], "SUCCESS");
  EXPECT_EQ(state["MODULE_11111111111111111111+617f6939"], "FAILED");
  EXPECT_EQ(state["MODULE_22222222222222222222+617f6939"], "LOCKED");
  EXPECT_EQ(state["MODULE_33333333333333333333+617f6939"], "EMPTY");
  EXPECT_EQ(state["MODULE_9219523464496887986+abb26765"], "SUCCESS");
  // A FAILED entry with a lock is FAILED (first matching rule), a neff without done is not SUCCESS.
  std::string d = root + "/neuronxcc-2.15.128.0+56dc5a86/MODULE_44444444444444444444+617f6939";
  make_dirs(d, 0755, nullptr);
  put(d + "/model.neff", "partial");
  EXPECT_EQ(classify_entry(d), EntryState::kEmpty);
  remove_tree(root);
}

TEST(CacheLayout, CleanRemovesFailedAndOldVersionsKeepsLockedAndEmpty) {
  std::string root = fake_neuron_tree(scratch_dir());
  CleanOptions o;
  o.old_versions = true;
  CleanReport rep;
  std::string err;
  ASSERT_TRUE(run_janitor(root, {0.1, 0.5}, o, &rep, &err)) << err;
  EXPECT_EQ(rep.failed, 1);
  EXPECT_EQ(rep.old_versions, 1);
  auto entries = scan_entries(root, false);
  ASSERT_EQ(entries.size(), 3u);
  for (auto& e : entries) {
    EXPECT_EQ(e.compiler_dir, "neuronxcc-2.15.128.0+56dc5a86");
    EXPECT_NE(e.state, EntryState::kFailed);
  }
  remove_tree(root);
}

TEST(CacheLayout, LruCleanupEvictsOldestFirstAndOnlyOneJanitor) {
  std::string root = scratch_dir();
  std::unique_ptr<CompileCache> c;
  std::string err;
  ASSERT_TRUE(CompileCache::open(quiet_options(root), &c, &err));
  std::vector<CacheKey> keys;
  for (int i = 0; i < 4; ++i) {
    keys.push_back(make_key({"t", "1"}, {}, "g" + std::to_string(i)));
    auto r = c->get_or_compile(keys.back(), "", sized_compiler(10000));
    ASSERT_TRUE(r.ok());
    struct timespec t[2] = {{1000 + i * 10, 0}, {1000 + i * 10, 0}};
    ::utimensat(AT_FDCWD, (c->entry_dir(keys.back()) + "/model.done").c_str(), t, 0);
  }
  // Someone else is the janitor: we do nothing.
  {
    ClusterLock other(root + "/.janitor.lock", {0.1, 5});
    ASSERT_TRUE(other.try_acquire());
    CleanReport rep;
    CleanOptions o;
    o.max_bytes = 25000;
    EXPECT_FALSE(run_janitor(root, {0.1, 5}, o, &rep, &err));
    EXPECT_NE(err.find("another janitor"), std::string::npos);
  }
  CleanOptions o;
  o.max_bytes = 25000;
  CleanReport rep;
  ASSERT_TRUE(run_janitor(root, {0.1, 5}, o, &rep, &err)) << err;
  EXPECT_EQ(rep.lru, 2);
  EXPECT_FALSE(c->lookup(keys[0]).ok());
  EXPECT_FALSE(c->lookup(keys[1]).ok());
  EXPECT_TRUE(c->lookup(keys[2]).ok());
  EXPECT_TRUE(c->lookup(keys[3]).ok());
  remove_tree(root);
}

TEST(CacheLock, ExclusiveThenStaleTakeoverAfterHeartbeatStops) {
  std::string root = scratch_dir();
  LockTiming t{0.1, 0.5};
  std::string path = root + "/x.lock";
  ClusterLock a(path, t), b(path, t);
  ASSERT_TRUE(a.try_acquire());
  EXPECT_FALSE(b.try_acquire());
  std::string raw;
  ASSERT_TRUE(read_lock_file(path, &raw, nullptr));
  LockRecord rec;
  ASSERT_TRUE(parse_lock_record(raw, &rec));
  EXPECT_EQ(rec.pid, ProcessIdentity::self().pid);
  EXPECT_FALSE(rec.token.empty());
  EXPECT_NE(rec.describe().find("host="), std::string::npos);
  // Alive: heartbeats keep it fresh for longer than the stale timeout.
  LockWatch w(t);
  for (int i = 0; i < 10; ++i) {
    auto s = w.observe(path);
    EXPECT_FALSE(s.stale);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  // A dead owner: a lock record with no heartbeat (written by hand, as a killed process leaves it).
  a.release();
  put(path, "host=othernode\npid=4242\njob=7.0\ntoken=dead\nstarted=1\n");
  auto s = w.observe(path);
  double t0 = mono_seconds();
  while (!s.stale && mono_seconds() - t0 < 3) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    s = w.observe(path);
  }
  ASSERT_TRUE(s.stale);
  EXPECT_LE(mono_seconds() - t0, 1.0);
  EXPECT_EQ(s.owner.host, "othernode");
  EXPECT_TRUE(w.break_stale(path, s));
  EXPECT_TRUE(b.try_acquire());
  b.release();
  remove_tree(root);
}

TEST(CacheLock, AcquireOrTakeOverBreaksOnlyADeadHolder) {
  std::string root = scratch_dir();
  LockTiming t{0.1, 0.5};
  std::string path = root + "/x.lock";
  LockWatch w(t);
  ClusterLock me(path, t);
  {
    // A live holder is never taken over, however long we try.
    ClusterLock live(path, t);
    ASSERT_TRUE(live.try_acquire());
    double t0 = mono_seconds();
    while (mono_seconds() - t0 < 1.0) {
      LockAttempt a = acquire_or_take_over(me, w);
      ASSERT_FALSE(a.acquired);
      EXPECT_FALSE(a.broke_stale);
      EXPECT_TRUE(a.holder.exists);
      EXPECT_EQ(a.holder.owner.pid, ProcessIdentity::self().pid);
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  // A dead holder (a record nobody heartbeats) is taken over once stale_s has passed.
  put(path, "host=othernode\npid=4242\njob=7.0\ntoken=dead\nstarted=1\n");
  LockAttempt a = acquire_or_take_over(me, w);
  EXPECT_FALSE(a.acquired);
  EXPECT_EQ(a.holder.owner.host, "othernode");
  double t0 = mono_seconds();
  while (!a.acquired && mono_seconds() - t0 < 3) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    a = acquire_or_take_over(me, w);
  }
  ASSERT_TRUE(a.acquired) << a.error;
  EXPECT_TRUE(a.broke_stale);
  EXPECT_TRUE(a.error.empty());
  std::string raw;
  ASSERT_TRUE(read_lock_file(path, &raw, nullptr));
  LockRecord rec;
  ASSERT_TRUE(parse_lock_record(raw, &rec));
  EXPECT_EQ(rec.pid, ProcessIdentity::self().pid);
  me.release();
  EXPECT_NE(::access(path.c_str(), F_OK), 0);
  remove_tree(root);
}

TEST(CacheLock, ClearLocksOnlyRemovesStaleOnes) {
  std::string root = scratch_dir();
  std::string e1 = root + "/t-1/MODULE_a+b", e2 = root + "/t-1/MODULE_c+d";
  make_dirs(e1, 0755, nullptr);
  make_dirs(e2, 0755, nullptr);
  LockTiming t{0.1, 0.5};
  ClusterLock live(e1 + "/model.lock", t);
  ASSERT_TRUE(live.try_acquire());
  put(e2 + "/model.lock", "host=n2\npid=1\njob=-\ntoken=dead\nstarted=1\n");
  auto reps = clear_stale_locks(root, t, 0.6, 3600, false);
  ASSERT_EQ(reps.size(), 2u);
  for (auto& r : reps) EXPECT_EQ(r.removed, r.path == e2 + "/model.lock") << r.path << " " << r.reason;
  EXPECT_EQ(::access((e1 + "/model.lock").c_str(), F_OK), 0);
  remove_tree(root);
}

TEST(CacheStats, ShardedCountersAddUp) {
  std::string root = scratch_dir();
  Counters c;
  c.hits = 3;
  c.compiles = 1;
  flush_stats(root, c, TrustPolicy{});
  flush_stats(root, c, TrustPolicy{});
  Counters total = read_stats(root);
  EXPECT_EQ(total.hits, 6u);
  EXPECT_EQ(total.compiles, 2u);
  remove_tree(root);
}

// --- bad input -----------------------------------------------------------------------

TEST(CacheBadInput, CacheDirIsAFile) {
  std::string root = scratch_dir();
  put(root + "/file", "x");
  CacheOptions o;
  o.dir = root + "/file";
  std::unique_ptr<CompileCache> c;
  std::string err;
  EXPECT_FALSE(CompileCache::open(o, &c, &err));
  EXPECT_NE(err.find("is a file, not a directory"), std::string::npos) << err;
  o.dir = root + "/file/sub";
  EXPECT_FALSE(CompileCache::open(o, &c, &err));
  EXPECT_NE(err.find("not a directory"), std::string::npos) << err;
  remove_tree(root);
}

TEST(CacheBadInput, UnwritableCacheDirGivesClearErrorOnMiss) {
  std::string root = scratch_dir();
  std::string mnt = root + "/ro";
  make_dirs(mnt, 0755, nullptr);
  if (::geteuid() == 0) {
    // root ignores permission bits: use a read-only mount.
    if (::mount("tmpfs", mnt.c_str(), "tmpfs", MS_RDONLY, "size=1m,mode=755") != 0) GTEST_SKIP() << "cannot mount tmpfs";
  } else {
    ::chmod(mnt.c_str(), 0555);
  }
  std::unique_ptr<CompileCache> c;
  std::string err;
  bool opened = CompileCache::open(quiet_options(mnt), &c, &err);
  if (opened) {
    int calls = 0;
    auto r = c->get_or_compile(make_key({"t", "1"}, {}, "g"), "", copy_compiler(&calls));
    EXPECT_FALSE(r.ok());
    EXPECT_EQ(r.outcome, Outcome::kError);
    EXPECT_NE(r.message.find(mnt), std::string::npos) << r.message;
    EXPECT_TRUE(r.message.find("Read-only") != std::string::npos || r.message.find("Permission") != std::string::npos)
        << r.message;
    EXPECT_EQ(calls, 0);
  } else {
    EXPECT_NE(err.find(mnt), std::string::npos);
  }
  if (::geteuid() == 0) ::umount(mnt.c_str());
  remove_tree(root);
}

TEST(CacheBadInput, FullDiskGivesClearErrorAndNoPartialEntry) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to mount a small tmpfs";
  std::string root = scratch_dir();
  std::string mnt = root + "/full";
  make_dirs(mnt, 0755, nullptr);
  if (::mount("tmpfs", mnt.c_str(), "tmpfs", 0, "size=64k,mode=755") != 0) GTEST_SKIP() << "cannot mount tmpfs";
  std::unique_ptr<CompileCache> c;
  std::string err;
  ASSERT_TRUE(CompileCache::open(quiet_options(mnt), &c, &err)) << err;
  CacheKey k = make_key({"t", "1"}, {}, "big graph");
  // A compiler that writes 1 MiB: ENOSPC on a 64 KiB filesystem.
  auto r = c->get_or_compile(k, "", sized_compiler(1 << 20));
  EXPECT_FALSE(r.ok());
  EXPECT_NE(r.message.find("the cache filesystem is full"), std::string::npos) << r.message;
  // Not recorded as FAILED: a full disk says nothing about the graph, so the next
  // run (after space is freed) compiles it again without an explicit retry.
  EXPECT_NE(classify_entry(c->entry_dir(k)), EntryState::kFailed);
  EXPECT_FALSE(c->lookup(k).ok());
  // Publishing itself failing (disk fills between compile and publish) is an error, not an entry.
  CacheKey k2 = make_key({"t", "1"}, {}, "graph 2");
  std::string filler = mnt + "/filler";
  auto r2 = c->get_or_compile(k2, "", [&](const CompileRequest& q) {
    bool ok = write_file_atomic(q.output_path, std::string(20000, 'y'), 0644, nullptr);
    int fd = ::open(filler.c_str(), O_WRONLY | O_CREAT, 0644);
    std::string chunk(4096, 'f');
    while (::write(fd, chunk.data(), chunk.size()) > 0) {}
    ::close(fd);
    return ok ? 0 : 1;
  });
  EXPECT_FALSE(r2.ok());
  EXPECT_NE(r2.message.find("No space left on device"), std::string::npos) << r2.message;
  EXPECT_FALSE(c->lookup(k2).ok());
  EXPECT_NE(classify_entry(c->entry_dir(k2)), EntryState::kSuccess);
  c.reset();
  ::umount(mnt.c_str());
  remove_tree(root);
}
