// The lookup path's held version directories (a lookup walks from a descriptor, and a
// version directory removed and made again since is followed), the scheduler's
// summary switch, and the files kept for information only.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>

#include "cache/advisory_file.h"
#include "cache/compile_scheduler.h"
#include "cache_test_util.h"

using namespace trn;
using namespace trn::cache;
using namespace cachetest;

TEST_F(CacheFixture, VersionDirMadeAgainAfterALookupIsFollowed) {
  int calls = 0;
  ASSERT_TRUE(cache_->get_or_compile(key_, graph_, copy_compiler(&calls)).ok());
  ASSERT_TRUE(cache_->lookup(key_).ok());  // the version directory is held open now
  const std::string version_dir = root_ + "/cache/" + key_.compiler.dir_name();
  ASSERT_TRUE(remove_tree(version_dir));
  EXPECT_FALSE(cache_->lookup(key_).ok());
  // Another process compiles it again into a new version directory: a hit here too.
  std::unique_ptr<CompileCache> other;
  std::string err;
  ASSERT_TRUE(CompileCache::open(opt_, &other, &err)) << err;
  ASSERT_EQ(other->get_or_compile(key_, graph_, copy_compiler(&calls)).outcome, Outcome::kCompiled);
  EXPECT_EQ(cache_->lookup(key_).outcome, Outcome::kHit);
  EXPECT_EQ(cache_->get_or_compile(key_, graph_, copy_compiler(&calls)).outcome, Outcome::kHit);
  EXPECT_EQ(calls, 2);
}

// Moved away (entries and all) while held: hits through it end within a second.
TEST_F(CacheFixture, VersionDirMovedAwayIsLeftWithinASecond) {
  int calls = 0;
  ASSERT_TRUE(cache_->get_or_compile(key_, graph_, copy_compiler(&calls)).ok());
  const std::string version_dir = root_ + "/cache/" + key_.compiler.dir_name();
  ASSERT_EQ(::rename(version_dir.c_str(), (root_ + "/cache/moved").c_str()), 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  const CacheResult r = cache_->lookup(key_);
  EXPECT_FALSE(r.ok()) << r.artifact_path;
  EXPECT_EQ(cache_->get_or_compile(key_, graph_, copy_compiler(&calls)).outcome, Outcome::kCompiled);
  EXPECT_EQ(calls, 2);
}

TEST_F(CacheFixture, VersionDirSwappedForALinkIsNotFollowed) {
  int calls = 0;
  ASSERT_TRUE(cache_->get_or_compile(key_, graph_, copy_compiler(&calls)).ok());
  const std::string version_dir = root_ + "/cache/" + key_.compiler.dir_name();
  // A copy of the entry elsewhere, then the version directory replaced by a link to it.
  ASSERT_EQ(::rename(version_dir.c_str(), (root_ + "/elsewhere").c_str()), 0);
  ASSERT_EQ(::symlink((root_ + "/elsewhere").c_str(), version_dir.c_str()), 0);
  std::unique_ptr<CompileCache> fresh;
  std::string err;
  ASSERT_TRUE(CompileCache::open(opt_, &fresh, &err)) << err;
  const CacheResult r = fresh->lookup(key_);
  EXPECT_FALSE(r.ok());
  EXPECT_NE(r.message.find(version_dir), std::string::npos) << r.message;
}

// compile_distributed prints the summary lines on rank 0 unless told not to.
TEST_F(CacheFixture, DistributedSummaryPrintedOnlyWhenAsked) {
  int calls = 0;
  const std::vector<GraphJob> graphs{{graph_, key_}};
  RankInfo me;
  me.node_name = "node-a";
  ScheduleOptions quiet;
  quiet.print_summary = false;
  testing::internal::CaptureStdout();
  ScheduleSummary s = compile_distributed(*cache_, graphs, copy_compiler(&calls), me, quiet);
  EXPECT_EQ(testing::internal::GetCapturedStdout(), "");
  EXPECT_EQ(s.succeeded, 1);
  testing::internal::CaptureStdout();
  s = compile_distributed(*cache_, graphs, copy_compiler(&calls), me, ScheduleOptions{});
  EXPECT_NE(testing::internal::GetCapturedStdout().find("Total successful compilations: 1"), std::string::npos);
  EXPECT_EQ(s.cache_hits_at_start, 1);
  EXPECT_EQ(calls, 1);
}

// compile_distributed in a child with an alarm: a rank that waits for a slot that can
// never exist is killed by SIGALRM (the old scheduler polled forever, printing nothing).
// Exits 0 when `want_ok` graphs succeeded and the rest failed, 1 otherwise.
static int run_distributed_guarded(CompileCache& cache, const std::vector<GraphJob>& graphs, int want_ok) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::alarm(20);
    int calls = 0;
    ScheduleOptions opt;
    opt.print_summary = false;
    const ScheduleSummary s = compile_distributed(cache, graphs, copy_compiler(&calls), RankInfo{}, opt);
    ::_exit(s.succeeded == want_ok && s.failed == s.graphs - want_ok ? 0 : 1);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return status;
}

// No slot folder can be made (here a file where it goes; in real use a read-only cache,
// another user's folder, ENOSPC): the rank compiles without a slot and says so.
TEST_F(CacheFixture, DistributedCompileWithoutASlotFolderCompilesInsteadOfWaiting) {
  put(root_ + "/cache/.slots", "not a folder");
  testing::internal::CaptureStderr();
  const int status = run_distributed_guarded(*cache_, {{graph_, key_}}, 1);
  const std::string err = testing::internal::GetCapturedStderr();
  ASSERT_TRUE(WIFEXITED(status)) << "killed by signal " << WTERMSIG(status) << " (hung waiting for a slot)";
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_NE(err.find("compile slots unusable"), std::string::npos) << err;
  EXPECT_NE(err.find(".slots"), std::string::npos) << err;
}

// Neither a slot nor the entry can be made: the graph fails with the cause, no hang.
TEST_F(CacheFixture, DistributedCompileIntoAnUnwritableCacheFailsTheGraph) {
  put(root_ + "/cache/.slots", "not a folder");
  put(root_ + "/cache/" + key_.compiler.dir_name(), "not a folder either");
  testing::internal::CaptureStderr();
  const int status = run_distributed_guarded(*cache_, {{graph_, key_}}, 0);
  testing::internal::GetCapturedStderr();
  ASSERT_TRUE(WIFEXITED(status)) << "killed by signal " << WTERMSIG(status) << " (hung waiting for a slot)";
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST(CacheAdvisoryFile, ReplacedWithItsModeAndNoTempLeft) {
  const std::string dir = scratch_dir();
  const std::string path = dir + "/shard0";
  const mode_t old_mask = ::umask(077);
  ASSERT_TRUE(replace_advisory_file(path, "hits 1\n", 0664));
  ASSERT_TRUE(replace_advisory_file(path, "hits 2\n", 0664));
  ::umask(old_mask);
  std::string text;
  ASSERT_TRUE(read_file(path, &text));
  EXPECT_EQ(text, "hits 2\n");
  struct stat st;
  ASSERT_EQ(::lstat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0664u);
  EXPECT_EQ(list_dir(dir), std::vector<std::string>{"shard0"});
  EXPECT_FALSE(replace_advisory_file(dir + "/missing/shard1", "x", 0644));
  remove_tree(dir);
}
