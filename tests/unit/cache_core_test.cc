// Keys, checksums, publish/lookup, failures and retry, corrupt entries.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "cache/checksum.h"
#include "cache/compile_cache.h"
#include "cache/entry_layout.h"
#include "cache/failure_record.h"
#include "cache_test_util.h"

using namespace trn;
using namespace trn::cache;
using namespace cachetest;

TEST(CacheChecksum, Sha256KnownVectors) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  std::string million(1000000, 'a');
  EXPECT_EQ(sha256_hex(million), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(CacheKey, FlagsNormalisedAndWrapperFlagsDropped) {
  auto a = make_key({"neuronxcc", "2.15"}, {"--model-type=transformer  -O1", "--cache_dir=/x", "--retry_failed_compilation"}, "g");
  auto b = make_key({"neuronxcc", "2.15"}, {"--model-type=transformer", "-O1", "--log_level", "INFO"}, "g");
  EXPECT_EQ(a.module_name(), b.module_name());
  EXPECT_EQ(a.flags, "--model-type=transformer -O1");
  auto c = make_key({"neuronxcc", "2.16"}, {"--model-type=transformer -O1"}, "g");
  EXPECT_NE(a.graph_hash, c.graph_hash);  // compiler identity is part of the key
  auto d = make_key({"neuronxcc", "2.15"}, {"-O1 --model-type=transformer"}, "g");
  EXPECT_NE(a.flags_hash, d.flags_hash);  // order is meaning
  EXPECT_EQ(a.relative_dir().substr(0, 17), "neuronxcc-2.15/MO");
  EXPECT_EQ(a.module_name().size(), std::string("MODULE_").size() + 20 + 1 + 8);
}

TEST(CacheVersions, NumericCompare) {
  EXPECT_LT(compare_versions("2.9.1", "2.15.0"), 0);
  EXPECT_GT(compare_versions("2.15.128.0+56dc5a86", "2.15.9.0+abc"), 0);
  EXPECT_EQ(compare_versions("1.0", "1.0"), 0);
}

TEST(CacheFs, ExclusiveCreateAtomicWriteAndReadWithMtime) {
  std::string root = scratch_dir();
  std::string f = root + "/a";
  std::string err;
  ASSERT_TRUE(write_new_file(f, "one", 0644, &err)) << err;
  EXPECT_FALSE(write_new_file(f, "two", 0644, &err));  // exists: never overwritten
  EXPECT_EQ(errno, EEXIST);
  EXPECT_NE(err.find(f), std::string::npos) << err;
  std::string text;
  long long mtime_ns = 0;
  ASSERT_TRUE(read_file(f, &text, nullptr, &mtime_ns));
  EXPECT_EQ(text, "one");
  EXPECT_GT(mtime_ns, 0);
  ASSERT_TRUE(write_file_atomic(f, "three", 0600, &err)) << err;
  ASSERT_TRUE(read_file(f, &text));
  EXPECT_EQ(text, "three");
  EXPECT_EQ(list_dir(root), std::vector<std::string>{"a"});  // no temp file left behind
  EXPECT_FALSE(write_file_atomic(root + "/missing/b", "x", 0644, &err));
  EXPECT_NE(err.find(root + "/missing/b: "), std::string::npos) << err;  // names the target, not the temp
  EXPECT_FALSE(read_file(root + "/missing/b", &text, &err));
  remove_tree(root);
}

TEST_F(CacheFixture, CompileOnceThenHit) {
  int calls = 0;
  auto r = cache_->get_or_compile(key_, graph_, copy_compiler(&calls));
  ASSERT_TRUE(r.ok()) << r.message;
  EXPECT_EQ(r.outcome, Outcome::kCompiled);
  auto r2 = cache_->get_or_compile(key_, graph_, copy_compiler(&calls));
  EXPECT_EQ(r2.outcome, Outcome::kHit);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(classify_entry(cache_->entry_dir(key_)), EntryState::kSuccess);
  std::string art;
  read_file(r2.artifact_path, &art);
  EXPECT_EQ(art, "compiled:" + graph_);
}

TEST_F(CacheFixture, CorruptedEntryIsRecompiledNeverServed) {
  int calls = 0;
  auto r = cache_->get_or_compile(key_, graph_, copy_compiler(&calls));
  ASSERT_TRUE(r.ok());
  put(r.artifact_path, "compiled:garbage!!");  // same path, different bytes
  EXPECT_FALSE(cache_->lookup(key_).ok());
  auto r2 = cache_->get_or_compile(key_, graph_, copy_compiler(&calls));
  ASSERT_TRUE(r2.ok()) << r2.message;
  EXPECT_EQ(r2.outcome, Outcome::kCompiled);
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(cache_->counters().corrupt, 1u);
  // A truncated artifact is corrupt as well.
  ::truncate(r2.artifact_path.c_str(), 3);
  EXPECT_FALSE(cache_->lookup(key_).ok());
}

TEST_F(CacheFixture, ArtifactWithoutDoneMarkerIsNotServed) {
  std::string dir = cache_->entry_dir(key_);
  make_dirs(dir, 0755, nullptr);
  put(dir + "/model.neff", "half-written");
  EXPECT_FALSE(cache_->lookup(key_).ok());
  int calls = 0;
  auto r = cache_->get_or_compile(key_, graph_, copy_compiler(&calls));
  EXPECT_EQ(r.outcome, Outcome::kCompiled);
}

TEST_F(CacheFixture, FailureRecordedWithExitCodeAndNotRetriedUnlessAsked) {
  int calls = 0;
  auto r = cache_->get_or_compile(key_, graph_, copy_compiler(&calls, 70));
  EXPECT_EQ(r.outcome, Outcome::kFailed);
  EXPECT_NE(r.message.find("exit code 70"), std::string::npos) << r.message;
  EXPECT_NE(r.message.find("model.log"), std::string::npos);
  EXPECT_EQ(classify_entry(cache_->entry_dir(key_)), EntryState::kFailed);
  auto r2 = cache_->get_or_compile(key_, graph_, copy_compiler(&calls));
  EXPECT_EQ(r2.outcome, Outcome::kCachedFailure);
  EXPECT_NE(r2.message.find("TRN_CACHE_RETRY_FAILED=1"), std::string::npos);
  EXPECT_EQ(calls, 1);
  // With the retry setting (a later run): compiled again.
  CacheOptions o = opt_;
  o.retry_failed = true;
  std::unique_ptr<CompileCache> later;
  std::string err;
  ::usleep(10000);
  ASSERT_TRUE(CompileCache::open(o, &later, &err));
  auto r3 = later->get_or_compile(key_, graph_, copy_compiler(&calls));
  EXPECT_EQ(r3.outcome, Outcome::kCompiled) << r3.message;
  EXPECT_EQ(calls, 2);
}

TEST_F(CacheFixture, OomKillRecognised) {
  int calls = 0;
  auto r = cache_->get_or_compile(key_, graph_, copy_compiler(&calls, -9));
  EXPECT_EQ(r.outcome, Outcome::kFailed);
  EXPECT_NE(r.message.find("exit code -9"), std::string::npos) << r.message;
  EXPECT_NE(r.message.find("out-of-memory"), std::string::npos) << r.message;
  EXPECT_NE(describe_exit(137).find("out-of-memory"), std::string::npos);
}

TEST_F(CacheFixture, GroupOrWorldWritableArtifactRefusedWithFix) {
  int calls = 0;
  auto r = cache_->get_or_compile(key_, graph_, copy_compiler(&calls));
  ASSERT_TRUE(r.ok());
  ::chmod(r.artifact_path.c_str(), 0666);
  auto r2 = cache_->lookup(key_);
  EXPECT_FALSE(r2.ok());
  EXPECT_NE(r2.message.find("chmod o-w '" + r.artifact_path + "'"), std::string::npos) << r2.message;
  ::chmod(r.artifact_path.c_str(), 0664);
  r2 = cache_->lookup(key_);
  EXPECT_NE(r2.message.find("chmod g-w"), std::string::npos) << r2.message;
  ::chmod(r.artifact_path.c_str(), 0644);
  EXPECT_TRUE(cache_->lookup(key_).ok());
  ::chmod(cache_->entry_dir(key_).c_str(), 0777);
  EXPECT_NE(cache_->lookup(key_).message.find("writable by any user"), std::string::npos);
}

TEST_F(CacheFixture, RecordKeepsFlagsWithQuotesAndBackslashes) {
  // A quote or a backslash in a flag must not break our record (key=value lines).
  CacheKey k = make_key({"testcc", "1.0"}, {"-DMSG=\"hi\"", "-I", "C:\\inc\\"}, "graph one");
  int calls = 0;
  auto r = cache_->get_or_compile(k, graph_, copy_compiler(&calls));
  ASSERT_TRUE(r.ok()) << r.message;
  std::string text;
  ASSERT_TRUE(read_file(cache_->entry_dir(k) + "/" + files::kRecord, &text));
  DoneRecord rec;
  ASSERT_TRUE(parse_done_record(text, &rec)) << text;
  EXPECT_EQ(rec.flags, "-DMSG=\"hi\" -I C:\\inc\\");
  EXPECT_EQ(rec.flags, k.flags);
  EXPECT_TRUE(cache_->lookup(k).ok());
}
