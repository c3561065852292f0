// common/fs: nearest_existing_path, which the cache-location check and preflight's
// cache probe both use to find the folder that would have to take a new cache.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "common/fs.h"

namespace {

TEST(NearestExistingPath, AnExistingPathIsItself) {
  char tmpl[] = "/tmp/trn-fs-test.XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  EXPECT_EQ(trn::nearest_existing_path(dir), dir);
  EXPECT_EQ(trn::nearest_existing_path(dir + "/a/b/c"), dir);
  ASSERT_EQ(::mkdir((dir + "/a").c_str(), 0700), 0);
  EXPECT_EQ(trn::nearest_existing_path(dir + "/a/b/c"), dir + "/a");
  ::rmdir((dir + "/a").c_str());
  ::rmdir(dir.c_str());
}

TEST(NearestExistingPath, EndsAtTheRootOrTheWorkingFolder) {
  EXPECT_EQ(trn::nearest_existing_path("/no-such-folder-trn/x/y"), "/");
  EXPECT_EQ(trn::nearest_existing_path("no-such-folder-trn/x"), ".");
}

}  // namespace

// InputFile: the reader of files a user names that may be large (trn-train data --input).
namespace {

std::string temp_dir() {
  char tmpl[] = "/tmp/trn-fs-test.XXXXXX";
  return mkdtemp(tmpl);
}

TEST(InputFile, RefusesWhatIsNoRegularFileWithoutBlocking) {
  const std::string dir = temp_dir();
  ASSERT_EQ(::mkfifo((dir + "/fifo").c_str(), 0600), 0);  // no writer: a blocking open would never return
  ASSERT_EQ(::symlink("fifo", (dir + "/link").c_str()), 0);
  for (const std::string& path : {dir + "/fifo", dir + "/link", dir, std::string("/dev/zero")}) {
    trn::InputFile f;
    std::string why;
    EXPECT_FALSE(f.open(path, &why)) << path;
    EXPECT_EQ(why, "not a regular file (a folder, device or FIFO)") << path;
  }
  trn::remove_tree(dir);
}

TEST(InputFile, TruncatedOrRewrittenIsAnError) {
  const std::string dir = temp_dir(), path = dir + "/in";
  std::string why, got;
  ASSERT_TRUE(trn::write_file_atomic(path, "0123456789", 0644, &why));
  ASSERT_EQ(::symlink("in", (dir + "/link").c_str()), 0);
  trn::InputFile f;
  ASSERT_TRUE(f.open(dir + "/link", &why)) << why;  // a link a user names is followed
  EXPECT_EQ(f.size(), 10u);
  ASSERT_TRUE(f.read_at(2, 3, &got, &why));
  EXPECT_EQ(got, "234");
  EXPECT_TRUE(f.unchanged(&why));
  ASSERT_EQ(::truncate(path.c_str(), 4), 0);
  EXPECT_FALSE(f.read_at(2, 3, &got, &why));
  EXPECT_EQ(got, "234");
  EXPECT_EQ(why, "ended at byte 4 of 10: it was truncated while it was read");
  EXPECT_FALSE(f.unchanged(&why));
  EXPECT_EQ(why, "was rewritten while it was read (10 bytes then, 4 now)");
  trn::remove_tree(dir);
}

}  // namespace
