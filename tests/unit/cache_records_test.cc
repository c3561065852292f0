// The cache's record readers on hostile bytes (the fuzz entry points: anyone in the cache
// group can write these files) and the no-follow, no-block file primitives under them.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>

#include "cache/cluster_lock.h"
#include "cache/entry_layout.h"
#include "cache/failure_record.h"
#include "cache/stats.h"
#include "cache_test_util.h"
#include "common/fs.h"

using namespace trn;
using namespace trn::cache;
using namespace cachetest;

TEST(CacheRecords, DoneRecordRoundTripsAndRefusesMalformedFields) {
  DoneRecord d;
  d.has_checksum = true;
  d.sha256 = std::string(64, 'a');
  d.size = 12345;
  d.graph = "g.hlo";
  d.created = 1.5;
  DoneRecord back;
  ASSERT_TRUE(parse_done_record(d.serialize(), &back));
  EXPECT_TRUE(back.has_checksum);
  EXPECT_EQ(back.size, 12345u);
  EXPECT_EQ(back.graph, "g.hlo");
  ASSERT_TRUE(parse_done_record("", &back));  // Neuron's empty marker
  EXPECT_FALSE(back.has_checksum);
  for (const char* bad : {"sha256=abc\n", "sha256=" "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n",
                          "size=-1\n", "size=99999999999999999999999\n", "size=12x\n", "created=nan\n",
                          "created=1e999\n"})
    EXPECT_FALSE(parse_done_record(bad, &back)) << bad;
  EXPECT_FALSE(parse_done_record(std::string(kMaxRecordBytes + 1, '\n'), &back));
}

TEST(CacheRecords, FailureRecordRefusesOutOfRangeExitCodes) {
  FailureRecord f;
  ASSERT_TRUE(parse_failure_record("exit_code=70\nhost=n1\nwhen=12.5\n", &f));
  EXPECT_EQ(f.exit_code, 70);
  EXPECT_EQ(f.host, "n1");
  // atoi took these, and describe_exit negated INT_MIN (undefined behaviour).
  for (const char* bad : {"exit_code=-2147483648\n", "exit_code=4294967366\n", "exit_code=7O\n", "when=inf\n"})
    EXPECT_FALSE(parse_failure_record(bad, &f)) << bad;
  EXPECT_NE(describe_exit(-2147483647 - 1).find("2147483648"), std::string::npos);
}

TEST(CacheRecords, LockRecordRefusesAbsurdPidsButKeepsTheRawText) {
  LockRecord r;
  ASSERT_TRUE(parse_lock_record("host=a\npid=42\njob=1.0\ntoken=t\n", &r));
  EXPECT_EQ(r.pid, 42);
  EXPECT_FALSE(parse_lock_record("host=a\npid=99999999999999999999\n", &r));
  EXPECT_EQ(r.raw, "host=a\npid=99999999999999999999\n");
  EXPECT_FALSE(parse_lock_record("pid=-5\n", &r));
}

TEST(CacheRecords, StatsShardRefusesValuesNoCounterCanHold) {
  Counters c;
  ASSERT_TRUE(parse_stats_shard("hits 3.000\ncompiles 1\nfuture_counter 7\ncompile_seconds 2.5\n", &c));
  EXPECT_EQ(c.hits, 3u);
  EXPECT_EQ(c.compiles, 1u);
  EXPECT_DOUBLE_EQ(c.compile_seconds, 2.5);
  // uint64_t(1e300) or of a negative or NaN is undefined behaviour.
  for (const char* bad : {"hits 1e300\n", "hits -1\n", "hits nan\n", "misses 18446744073709551616\n"})
    EXPECT_FALSE(parse_stats_shard(bad, &c)) << bad;
}

TEST(CacheRecords, KeyValueScanIsLinearInTheRecordSize) {
  // '=' used to be searched to the end of the text for every line: quadratic.
  std::string text(kMaxRecordBytes - 2, '\n');
  text += "a=";
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 20; ++i) {
    DoneRecord d;
    parse_done_record(text, &d);
  }
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 1.0);
}

TEST(CacheFiles, RegularFileReadsRefuseLinksFifosAndHugeFiles) {
  std::string root = scratch_dir();
  put(root + "/ok", "x=1\n");
  ::mkfifo((root + "/fifo").c_str(), 0644);
  ::symlink("/dev/zero", (root + "/zero").c_str());
  ::symlink((root + "/ok").c_str(), (root + "/link").c_str());
  int fd = ::open((root + "/big").c_str(), O_WRONLY | O_CREAT, 0644);
  ASSERT_EQ(::ftruncate(fd, off_t(8) << 30), 0);  // sparse 8 GiB
  ::close(fd);
  std::string text, err;
  EXPECT_TRUE(read_regular_file(root + "/ok", kMaxRecordBytes, &text, &err)) << err;
  EXPECT_EQ(text, "x=1\n");
  EXPECT_FALSE(read_regular_file(root + "/fifo", kMaxRecordBytes, &text, &err));  // returns at once
  EXPECT_NE(err.find("not a regular file"), std::string::npos) << err;
  EXPECT_FALSE(read_regular_file(root + "/zero", kMaxRecordBytes, &text, &err));
  EXPECT_NE(err.find("symbolic link"), std::string::npos) << err;
  EXPECT_FALSE(read_regular_file(root + "/link", kMaxRecordBytes, &text, &err));
  EXPECT_FALSE(read_regular_file(root + "/big", kMaxRecordBytes, &text, &err));
  EXPECT_EQ(errno, EFBIG);
  EXPECT_TRUE(text.empty());
  remove_tree(root);
}

TEST(CacheFiles, SharedDirsGetTheirModeWhateverTheUmask) {
  std::string root = scratch_dir();
  mode_t old = ::umask(022);
  ASSERT_TRUE(make_shared_dirs(root + "/a/b", 02775, gid_t(-1), nullptr));
  int rfd = ::open(root.c_str(), O_RDONLY | O_DIRECTORY);
  std::string err;
  int fd = open_dir_beneath(rfd, "a/c/d", true, 02775, gid_t(-1), &err);
  ASSERT_GE(fd, 0) << err;
  ::close(fd);
  ::umask(old);
  struct stat st;
  for (const char* d : {"/a", "/a/b", "/a/c", "/a/c/d"}) {
    ASSERT_EQ(::stat((root + d).c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 02775u) << d;
  }
  // A link anywhere on the way is never followed, with or without create.
  std::string outside = scratch_dir();
  ::symlink(outside.c_str(), (root + "/a/link").c_str());
  EXPECT_LT(open_dir_beneath(rfd, "a/link/x", true, 02775, gid_t(-1), &err), 0);
  EXPECT_NE(err.find("never followed"), std::string::npos) << err;
  EXPECT_LT(open_dir_beneath(rfd, "a/link", false, 0, gid_t(-1), &err), 0);
  EXPECT_NE(::access((outside + "/x").c_str(), F_OK), 0);
  ::close(rfd);
  // rm -rf removes the link, never what it points to.
  put(outside + "/keep", "k");
  ASSERT_TRUE(remove_tree(root));
  EXPECT_EQ(::access((outside + "/keep").c_str(), F_OK), 0);
  remove_tree(outside);
}
