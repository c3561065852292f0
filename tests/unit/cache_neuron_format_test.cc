// The cache writes Neuron's entry files as the SDK does (tests/fixtures/neuron_cache/
// README.md) and keeps its own records in side files; its entry lock is the SDK's lock
// file, so a neuron_parallel_compile and trn-train never compile one graph at once.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "cache/cluster_lock.h"
#include "cache/compile_cache.h"
#include "cache/entry_layout.h"
#include "cache/failure_record.h"
#include "cache_test_util.h"
#include "common/process_identity.h"

using namespace trn;
using namespace trn::cache;
using namespace cachetest;

namespace {

bool exists(const std::string& p) {
  struct stat st;
  return ::lstat(p.c_str(), &st) == 0;
}

std::string text_of(const std::string& p) {
  std::string t;
  read_file(p, &t);
  return t;
}

}  // namespace

TEST_F(CacheFixture, PublishingWritesNeuronsFilesAndOursAside) {
  const std::string entry = cache_->entry_dir(key_);
  // The collecting process's files, as the SDK wrote them.
  ASSERT_TRUE(cache_->make_dirs_in_cache(key_.relative_dir(), nullptr));
  const std::string flags = R"(["--model-type", "transformer"])";
  put(entry + "/compile_flags.json", flags);
  bool locked_as_the_sdk = false;
  auto r = cache_->get_or_compile(key_, graph_, [&](const CompileRequest& req) {
    locked_as_the_sdk = exists(entry + "/model.hlo_module.pb.lock");
    return write_file_atomic(req.output_path, "neff", 0644, nullptr) ? 0 : 1;
  });
  ASSERT_EQ(r.outcome, Outcome::kCompiled) << r.message;
  EXPECT_TRUE(locked_as_the_sdk) << "the compile did not hold Neuron's lock file";
  EXPECT_EQ(text_of(entry + "/compile_flags.json"), flags) << "the SDK's flags file was rewritten";
  EXPECT_TRUE(exists(entry + "/model.done"));
  EXPECT_EQ(text_of(entry + "/model.done"), "") << "Neuron's model.done is empty";
  EXPECT_EQ(list_dir(entry),
            (std::vector<std::string>{"compile_flags.json", "model.done", "model.neff", "trn-train.record"}));
  DoneRecord rec;
  ASSERT_TRUE(parse_done_record(text_of(entry + "/trn-train.record"), &rec));
  EXPECT_TRUE(rec.has_checksum && rec.has_stamp);
  EXPECT_EQ(rec.size, 4u);
  // The checksum is checked from the side record: a changed NEFF is caught.
  put(entry + "/model.neff", "NEFF");
  EXPECT_FALSE(cache_->lookup(key_).ok());
}

TEST_F(CacheFixture, FailureIsModelLogPlusOurSideRecord) {
  const std::string entry = cache_->entry_dir(key_);
  int calls = 0;
  auto r = cache_->get_or_compile(key_, graph_, copy_compiler(&calls, 70));
  ASSERT_EQ(r.outcome, Outcome::kFailed);
  EXPECT_EQ(list_dir(entry), (std::vector<std::string>{"model.log", "trn-train.failure"}));
  EXPECT_EQ(read_failure(entry).exit_code, 70);
  EXPECT_EQ(classify_entry(entry), EntryState::kFailed);
  // An earlier version's model.fail still counts.
  ::unlink((entry + "/trn-train.failure").c_str());
  put(entry + "/model.fail", "exit_code=-9\nhost=n1\nwhen=1\n");
  EXPECT_EQ(read_failure(entry).exit_code, -9);
}

TEST_F(CacheFixture, EntryTheSdkCompiledIsServedAndLeftAlone) {
  const std::string entry = cache_->entry_dir(key_);
  ASSERT_TRUE(cache_->make_dirs_in_cache(key_.relative_dir(), nullptr));
  put(entry + "/model.neff", "sdk neff");
  put(entry + "/model.done", "");
  auto r = cache_->lookup(key_);
  EXPECT_EQ(r.outcome, Outcome::kHit) << r.message;
  EXPECT_EQ(list_dir(entry), (std::vector<std::string>{"model.done", "model.neff"}));
  const EntryCheck c = check_entry_dir(entry, TrustPolicy::for_current_user("", nullptr), false, Hashing::kAlways);
  EXPECT_EQ(c.verdict, EntryVerdict::kValid);
  EXPECT_FALSE(c.has_checksum);
}

// The SDK's lock has no heartbeat: silence is not death. While it is there (and younger
// than kForeignLockStaleS) nobody here compiles the graph, however long the wait.
TEST_F(CacheFixture, SdkLockIsWaitedForNotTakenOver) {
  const std::string entry = cache_->entry_dir(key_);
  ASSERT_TRUE(cache_->make_dirs_in_cache(key_.relative_dir(), nullptr));
  const std::string lock = entry + "/model.hlo_module.pb.lock";
  put(lock, "");  // as optimum-neuron's tests plant it
  int calls = 0;
  CacheResult r;
  const double t0 = mono_seconds();
  while (mono_seconds() - t0 < 4 * opt_.timing.stale_s) {  // long past our own locks' stale limit
    r = cache_->try_get_or_compile(key_, graph_, copy_compiler(&calls));
    ASSERT_EQ(r.outcome, Outcome::kBusy) << r.message;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(calls, 0);
  EXPECT_EQ(cache_->counters().stale_takeovers, 0u);
  EXPECT_NE(r.message.find("a Neuron SDK process"), std::string::npos) << r.message;
  // Held by flock (a tool that locks that way is alive), even when ancient.
  const struct timespec old[2] = {{0, UTIME_OMIT}, {::time(nullptr) - time_t(kForeignLockStaleS) - 60, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, lock.c_str(), old, 0), 0);
  const int fd = ::open(lock.c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::flock(fd, LOCK_EX), 0);
  EXPECT_EQ(cache_->try_get_or_compile(key_, graph_, copy_compiler(&calls)).outcome, Outcome::kBusy);
  ::close(fd);
  // Left by a killed compile: older than kForeignLockStaleS and unlocked.
  r = cache_->get_or_compile(key_, graph_, copy_compiler(&calls));
  EXPECT_EQ(r.outcome, Outcome::kCompiled) << r.message;
  EXPECT_EQ(calls, 1);
  EXPECT_FALSE(exists(lock));
}

// The SDK waits while the file exists: ours is that file, with our owner record in it.
TEST(CacheNeuronLock, OurEntryLockIsTheSdksLockFile) {
  EXPECT_STREQ(files::kLock, "model.hlo_module.pb.lock");
  const std::string root = scratch_dir();
  ClusterLock ours(root + "/" + files::kLock, {0.1, 0.5});
  ASSERT_TRUE(ours.try_acquire());
  LockWatch w({0.1, 0.5});
  const auto seen = w.observe(root + "/" + files::kLock);
  EXPECT_TRUE(seen.exists);
  EXPECT_FALSE(seen.foreign);
  EXPECT_TRUE(seen.owner.ours());
  ours.release();
  EXPECT_FALSE(exists(root + "/" + files::kLock));
  remove_tree(root);
}
