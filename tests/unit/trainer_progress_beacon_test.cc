// Issue 21, hang detection, the rank's side: its progress record in the folder `run`
// names (TRN_TRAIN_PROGRESS_DIR), as `run` reads it back (common/progress_record.h), and
// its stack on SIGUSR2 (trainer/report/progress_beacon.h, trainer/report/stack_dump.h).
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>

#include "common/process_identity.h"
#include "trainer/report/progress_beacon.h"
#include "trainer/report/stack_dump.h"
#include "tests/unit/temp_dir.h"

namespace {

using namespace trn::native;

// One test: the beacon is the process's own (mapped once, as in the trainer).
TEST(ProgressBeacon, PublishesStepAndPhaseAsRunReadsThem) {
  trn::test::TempDir d;
  ::setenv(trn::kProgressDirVariable, d.path.c_str(), 1);
  open_progress_beacon(3);
  ::unsetenv(trn::kProgressDirVariable);
  ASSERT_NE(progress_beacon(), nullptr);
  auto read = [&d] {
    const auto records = trn::read_progress_records(d.path);
    EXPECT_EQ(records.size(), 1u);
    return records.empty() ? trn::ProgressRecord{} : records[0];
  };
  EXPECT_EQ(read().pid, ::getpid());
  EXPECT_EQ(read().rank, 3);
  EXPECT_EQ(read().step, -1);  // none completed yet
  EXPECT_EQ(read().phase, static_cast<int32_t>(trn::ProgressPhase::kStarting));
  publish_step(41);
  EXPECT_EQ(read().step, 41);
  {
    InCollective outer;
    EXPECT_EQ(read().phase, static_cast<int32_t>(trn::ProgressPhase::kCollective));
    {
      InCollective inner;  // a gather inside a checkpoint's barrier
    }
    EXPECT_EQ(read().phase, static_cast<int32_t>(trn::ProgressPhase::kCollective));
  }
  EXPECT_EQ(read().phase, static_cast<int32_t>(trn::ProgressPhase::kCompute));
  struct stat st;  // private to this user
  ASSERT_EQ(::stat((d.path + "/rank.3").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST(StackDump, Sigusr2WritesTheStackBetweenAHeaderAndAFooter) {
  trn::test::TempDir d;
  install_stack_dump(5);
  const std::string path = d.path + "/stderr";
  const int file = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  ASSERT_GE(file, 0);
  std::fflush(stderr);
  const int saved = ::dup(STDERR_FILENO);
  ::dup2(file, STDERR_FILENO);
  std::raise(SIGUSR2);  // the rank carries on after it
  ::dup2(saved, STDERR_FILENO);
  ::close(saved);
  ::close(file);
  const std::string out = trn::test::slurp(path);
  const std::string header = "trn-train-native: stack of rank 5 (pid " + std::to_string(::getpid()) + ") on " +
                             trn::ProcessIdentity::self().host + ":\n";
  ASSERT_EQ(out.rfind(header, 0), 0u) << out;
  EXPECT_NE(out.find("trainer_tests"), std::string::npos) << out;  // frames of this program
  const std::string footer = "trn-train-native: end of the stack of rank 5\n";
  ASSERT_GE(out.size(), header.size() + footer.size());
  EXPECT_EQ(out.substr(out.size() - footer.size()), footer) << out;
}

}  // namespace
