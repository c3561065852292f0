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
