// Lookups trust the artifact's recorded stamp (size, mtime, ctime, inode) instead of
// re-hashing it: a hit reads no artifact bytes, any change is hashed and caught, a
// record of an earlier version (no stamp) is hashed once and then stamped, and
// `cache verify` (Hashing::kAlways) still hashes everything.
//
// Bytes read are counted by the kernel (/proc/self/io rchar: every read(2) of this
// process), so the tests observe the reads themselves, not a flag the code sets.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <thread>

#include "cache/entry_layout.h"
#include "cache_test_util.h"

using namespace trn;
using namespace trn::cache;
using namespace cachetest;

namespace {

constexpr size_t kArtifactBytes = 4 << 20;

// Bytes this process has read so far, or -1 without task I/O accounting.
long long bytes_read() {
  std::FILE* f = std::fopen("/proc/self/io", "r");
  if (!f) return -1;
  long long v = -1;
  if (std::fscanf(f, "rchar: %lld", &v) != 1) v = -1;
  std::fclose(f);
  return v;
}

// Bytes read by `f()`.
template <typename F>
long long reads_during(F f) {
  long long before = bytes_read();
  f();
  return bytes_read() - before;
}

// Our record of an entry (the side file next to Neuron's files).
DoneRecord done_record(const std::string& entry) {
  std::string text;
  DoneRecord rec;
  EXPECT_TRUE(read_file(entry + "/" + files::kRecord, &text));
  EXPECT_TRUE(parse_done_record(text, &rec)) << text;
  return rec;
}

// Timestamps are as fine as the kernel's clock tick: a change within the tick of
// publishing would keep them (the documented limit), so the tests change later.
void next_tick() { std::this_thread::sleep_for(std::chrono::milliseconds(30)); }

class CacheStamp : public CacheFixture {
 protected:
  void SetUp() override {
    CacheFixture::SetUp();
    if (bytes_read() < 0) GTEST_SKIP() << "no /proc/self/io (task I/O accounting) to count reads";
    auto r = cache_->get_or_compile(key_, graph_, sized_compiler(kArtifactBytes));
    ASSERT_EQ(r.outcome, Outcome::kCompiled) << r.message;
    artifact_ = r.artifact_path;
  }
  std::string artifact_;
};

}  // namespace

TEST_F(CacheStamp, HitReadsNoArtifactBytes) {
  EXPECT_TRUE(done_record(cache_->entry_dir(key_)).has_stamp);
  const long long read = reads_during([&] {
    for (int i = 0; i < 10; ++i) ASSERT_EQ(cache_->lookup(key_).outcome, Outcome::kHit);
  });
  // Ten records of a few hundred bytes; hashing would have read 10 x 4 MiB.
  EXPECT_LT(read, 64 * 1024) << "lookups re-read the artifact";
  // `cache verify` hashes in full and leaves the record alone.
  struct stat before, after;
  ASSERT_EQ(::lstat((cache_->entry_dir(key_) + "/" + files::kRecord).c_str(), &before), 0);
  EntryCheck c;
  const long long verified = reads_during([&] {
    c = check_entry_dir(cache_->entry_dir(key_), TrustPolicy::for_current_user("", nullptr), false, Hashing::kAlways);
  });
  EXPECT_EQ(c.verdict, EntryVerdict::kValid);
  EXPECT_TRUE(c.hashed);
  EXPECT_GE(verified, (long long)kArtifactBytes);
  ASSERT_EQ(::lstat((cache_->entry_dir(key_) + "/" + files::kRecord).c_str(), &after), 0);
  EXPECT_EQ(before.st_ino, after.st_ino) << "verify rewrote the record";
}

TEST_F(CacheStamp, SameSizeRewriteIsRecompiledEvenWithItsMtimeSetBack) {
  struct stat st;
  ASSERT_EQ(::lstat(artifact_.c_str(), &st), 0);
  next_tick();
  int fd = ::open(artifact_.c_str(), O_WRONLY);  // in place: same inode, same size
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::pwrite(fd, "b", 1, kArtifactBytes / 2), 1);
  ::close(fd);
  const struct timespec times[2] = {st.st_atim, st.st_mtim};  // as rsync -t or touch -d would
  ASSERT_EQ(::utimensat(AT_FDCWD, artifact_.c_str(), times, 0), 0);
  EXPECT_FALSE(cache_->lookup(key_).ok()) << "a changed artifact was served on its old stamp";
  int calls = 0;
  auto r = cache_->get_or_compile(key_, graph_, copy_compiler(&calls));
  EXPECT_EQ(r.outcome, Outcome::kCompiled) << r.message;
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(cache_->counters().corrupt, 1u);
}

TEST_F(CacheStamp, TouchedButUnchangedArtifactIsHashedOnceAndRestamped) {
  next_tick();
  ASSERT_EQ(::utimensat(AT_FDCWD, artifact_.c_str(), nullptr, 0), 0);  // touch
  long long read = reads_during([&] { EXPECT_EQ(cache_->lookup(key_).outcome, Outcome::kHit); });
  EXPECT_GE(read, (long long)kArtifactBytes) << "a changed stamp must be checked by hashing";
  read = reads_during([&] { EXPECT_EQ(cache_->lookup(key_).outcome, Outcome::kHit); });
  EXPECT_LT(read, 64 * 1024) << "the record was not restamped";
}

// Earlier versions kept the record in model.done (and before that without a stamp).
TEST_F(CacheStamp, RecordOfAnEarlierVersionIsServedHashedOnceThenStamped) {
  const std::string entry = cache_->entry_dir(key_);
  DoneRecord rec = done_record(entry);
  rec.has_stamp = false;  // exactly what the previous version wrote: no inode/mtime_ns/ctime_ns
  ASSERT_EQ(rec.serialize().find("mtime_ns"), std::string::npos);
  ASSERT_EQ(::unlink((entry + "/" + files::kRecord).c_str()), 0);
  put(entry + "/" + files::kDone, rec.serialize());
  long long read = reads_during([&] { EXPECT_EQ(cache_->lookup(key_).outcome, Outcome::kHit); });
  EXPECT_GE(read, (long long)kArtifactBytes);
  EXPECT_TRUE(done_record(entry).has_stamp);
  read = reads_during([&] { EXPECT_EQ(cache_->lookup(key_).outcome, Outcome::kHit); });
  EXPECT_LT(read, 64 * 1024);
  // An old record whose artifact no longer matches is corrupt, as it always was.
  ASSERT_EQ(::unlink((entry + "/" + files::kRecord).c_str()), 0);
  put(entry + "/" + files::kDone, rec.serialize());
  put(artifact_, std::string(kArtifactBytes, 'b'));
  EXPECT_FALSE(cache_->lookup(key_).ok());
}

TEST(CacheRecords, DoneRecordStampRoundTripsAndNeedsAllItsFields) {
  DoneRecord d;
  d.has_checksum = true;
  d.sha256 = std::string(64, 'a');
  d.size = 7;
  d.has_stamp = true;
  d.stamp.inode = 42;
  d.stamp.mtime_ns = 1700000000123456789LL;
  d.stamp.ctime_ns = -5;  // before 1970: still a valid time
  DoneRecord back;
  ASSERT_TRUE(parse_done_record(d.serialize(), &back));
  EXPECT_TRUE(back.has_stamp);
  d.stamp.size = 7;  // the stamp's size is the record's
  EXPECT_TRUE(back.stamp == d.stamp);
  std::string text = d.serialize();
  ASSERT_TRUE(parse_done_record(text.substr(0, text.find("ctime_ns")), &back));
  EXPECT_FALSE(back.has_stamp) << "a partial stamp must not be trusted";
  EXPECT_FALSE(parse_done_record("sha256=" + std::string(64, 'a') + "\nsize=7\ninode=x\n", &back));
  EXPECT_FALSE(parse_done_record("mtime_ns=99999999999999999999\n", &back));
  ASSERT_TRUE(parse_done_record("inode=1\nmtime_ns=2\nctime_ns=3\n", &back));
  EXPECT_FALSE(back.has_stamp) << "a stamp without a checksum stands for nothing";
}
