// `run`'s per-node log folder (launcher/commands/node_log.h): never through a link,
// never in a tree of another user; and the descriptors 0-2 a daemon's child may lack
// (common/standard_fds.h).
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include "common/fs.h"
#include "common/standard_fds.h"
#include "launcher/commands/node_log.h"
#include "launcher/errors.h"
#include "tests/unit/temp_dir.h"

namespace trn {
namespace {

using test::slurp;
using test::TempDir;

const cache::TrustPolicy kMine = cache::TrustPolicy::for_current_user("", nullptr);

// The InputError's text, "" when open_node_log succeeded.
std::string refusal(const std::string& root, const std::string& rel) {
  try {
    open_node_log(root, rel, kMine);
  } catch (const InputError& e) {
    EXPECT_EQ(e.problems().size(), 1u);
    EXPECT_EQ(e.problems()[0].key, "launch.log_dir");
    return e.problems()[0].value + ": " + e.problems()[0].fix;
  }
  return "";
}

TEST(NodeLog, MakesTheTreeAppendsAndWritesBeside) {
  TempDir d;
  const std::string root = d.path + "/logs";
  {
    NodeLog log = open_node_log(root + "/", "7/0/3", kMine);
    EXPECT_EQ(log.path, root + "/7/0/3/");
    ASSERT_EQ(::write(log.log.get(), "one\n", 4), 4);
    write_node_file(log, "config.yaml", "a: 1\n");
  }
  NodeLog again = open_node_log(root, "7/0/3", kMine);
  ASSERT_EQ(::write(again.log.get(), "two\n", 4), 4);
  EXPECT_EQ(slurp(root + "/7/0/3/log"), "one\ntwo\n");  // appended, like tee -a
  EXPECT_EQ(slurp(root + "/7/0/3/config.yaml"), "a: 1\n");
  struct stat st;
  ASSERT_EQ(::stat((root + "/7/0").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0755u);  // writable by nobody else, whatever the umask
}

// A link planted anywhere in the tree is never followed: not the log, not a folder,
// not launch.log_dir itself; config.yaml planted as a link is replaced, not written through.
TEST(NodeLog, PlantedLinksAreRefused) {
  TempDir d;
  const std::string root = d.path + "/logs", victim = d.path + "/victim";
  write_file_atomic(victim, "precious\n", 0644, nullptr);
  make_dirs(root + "/7/0/3", 0755, nullptr);
  ASSERT_EQ(::symlink(victim.c_str(), (root + "/7/0/3/log").c_str()), 0);
  std::string why = refusal(root, "7/0/3");
  EXPECT_NE(why.find(root + "/7/0/3/log: a symbolic link"), std::string::npos) << why;
  EXPECT_NE(why.find("never follow links"), std::string::npos) << why;

  const std::string elsewhere = d.path + "/elsewhere";
  make_dirs(elsewhere, 0755, nullptr);
  ASSERT_EQ(::symlink(elsewhere.c_str(), (root + "/8").c_str()), 0);
  why = refusal(root, "8/0/3");
  EXPECT_NE(why.find(root + "/8: 8 is a symbolic link"), std::string::npos) << why;
  EXPECT_TRUE(list_dir(elsewhere).empty());

  const std::string linked_root = d.path + "/linked-logs";
  ASSERT_EQ(::symlink(elsewhere.c_str(), linked_root.c_str()), 0);
  why = refusal(linked_root, "9/0/0");
  EXPECT_NE(why.find(linked_root + ": a symbolic link"), std::string::npos) << why;
  EXPECT_TRUE(list_dir(elsewhere).empty());

  ::unlink((root + "/7/0/3/log").c_str());
  ASSERT_EQ(::symlink(victim.c_str(), (root + "/7/0/3/config.yaml").c_str()), 0);
  NodeLog log = open_node_log(root, "7/0/3", kMine);
  write_node_file(log, "config.yaml", "a: 1\n");
  EXPECT_EQ(slurp(victim), "precious\n");
  EXPECT_EQ(slurp(root + "/7/0/3/config.yaml"), "a: 1\n");
}

// A FIFO planted as the log neither blocks the open nor is written.
TEST(NodeLog, FifoIsRefusedWithoutBlocking) {
  TempDir d;
  make_dirs(d.path + "/logs/7/0/0", 0755, nullptr);
  ASSERT_EQ(::mkfifo((d.path + "/logs/7/0/0/log").c_str(), 0644), 0);
  const std::string why = refusal(d.path + "/logs", "7/0/0");
  EXPECT_NE(why.find("log: not a regular file"), std::string::npos) << why;
}

// A tree (launch.log_dir or below) of another user is refused, as the cache refuses
// one; so is a folder others may write (without the sticky bit).
TEST(NodeLog, TreeOfAnotherUserIsRefused) {
  TempDir d;
  const std::string root = d.path + "/logs";
  make_dirs(root + "/7/0", 0755, nullptr);
  ASSERT_EQ(::chmod((root + "/7").c_str(), 0777), 0);
  std::string why = refusal(root, "7/0/0");
  EXPECT_NE(why.find("refusing " + root + "/7: writable by any user"), std::string::npos) << why;
  ASSERT_EQ(::chmod((root + "/7").c_str(), 01777), 0);  // sticky, like /tmp: others cannot replace what is ours
  EXPECT_EQ(refusal(root, "7/0/0"), "");
  if (::geteuid() != 0) GTEST_SKIP() << "giving a folder to another user needs root";
  ASSERT_EQ(::chown((root + "/7/0").c_str(), 4321, 4321), 0);
  why = refusal(root, "7/0/0");
  EXPECT_NE(why.find("refusing " + root + "/7/0: owned by uid 4321"), std::string::npos) << why;
  ASSERT_EQ(::chown(root.c_str(), 4321, 4321), 0);
  why = refusal(root, "8/0/0");
  EXPECT_NE(why.find("refusing " + root + ": owned by uid 4321"), std::string::npos) << why;
}

// Started with stdout and stderr closed, the next file opened must not become either.
TEST(StandardFds, ClosedOnesAreOpenedOnDevNull) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(1);
    ::close(2);
    if (!open_standard_fds(nullptr)) ::_exit(3);
    const int fd = ::open("/dev/null", O_RDONLY);
    ::_exit(fd > 2 && ::fcntl(1, F_GETFD) != -1 && ::fcntl(2, F_GETFD) != -1 ? 0 : 4);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
}

}  // namespace
}  // namespace trn
