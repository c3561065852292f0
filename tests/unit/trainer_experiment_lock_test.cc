// One run per experiment folder (issue 18): a second run while the first lives is
// refused with the holder named; a killed run's lock is taken over; the lock goes
// with the run.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "common/process_identity.h"
#include "trainer/checkpoint/experiment_lock.h"

namespace {

namespace fs = std::filesystem;
using namespace trn::native;

// Fast heartbeats, so a live holder is seen within a fraction of a second; a stale time
// 60 heartbeats long, so a loaded machine that delays the holder's heartbeat thread does
// not make a live lock look dead (a takeover would fail the refusal test by chance).
const trn::LockTiming kFast{0.05, 3.0};

class ExperimentFolder : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("trn-exp-lock-test-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string dir() const { return dir_.string(); }
  fs::path dir_;
};

TEST_F(ExperimentFolder, ASecondRunIsRefusedWithTheHolderNamedUntilTheFirstEnds) {
  LockedExperiment first = lock_experiment(dir(), kFast);
  ASSERT_TRUE(first.lock) << first.problems.at(0).str();
  EXPECT_TRUE(fs::exists(dir_ / "experiment.lock"));

  const LockedExperiment second = lock_experiment(dir(), kFast);
  EXPECT_FALSE(second.lock);
  ASSERT_EQ(second.problems.size(), 1u);
  const trn::ProcessIdentity& me = trn::ProcessIdentity::self();
  EXPECT_EQ(second.problems[0].key, dir());
  EXPECT_EQ(second.problems[0].value, "(in use by host=" + me.host + " pid=" + std::to_string(me.pid) + " job=" +
                                          (me.job.empty() ? "-" : me.job) + ")");
  EXPECT_NE(second.problems[0].fix.find("another run writes this experiment folder"), std::string::npos);

  first = {};  // the first run ends
  EXPECT_FALSE(fs::exists(dir_ / "experiment.lock"));
  const LockedExperiment third = lock_experiment(dir(), kFast);
  EXPECT_TRUE(third.lock);
  EXPECT_TRUE(third.note.empty());
}

TEST_F(ExperimentFolder, AKilledRunsLockIsTakenOverAndSaidSo) {
  fs::create_directories(dir_);
  const std::string lock = dir() + "/experiment.lock";
  std::ofstream(lock) << "host=gone-node\npid=4242\njob=77.0\ntoken=dead\nstarted=1\n";
  // Untouched for longer than twice the stale time: a dead holder at first sight.
  const struct timespec old[2] = {{::time(nullptr) - 600, 0}, {::time(nullptr) - 600, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, lock.c_str(), old, 0), 0);
  const LockedExperiment taken = lock_experiment(dir(), kFast);
  ASSERT_TRUE(taken.lock) << taken.problems.at(0).str();
  EXPECT_NE(taken.note.find("took over " + lock + " from host=gone-node pid=4242 job=77.0"), std::string::npos)
      << taken.note;
}

TEST_F(ExperimentFolder, ALockKilledAMomentAgoIsWaitedForUntilStaleNotRefused) {
  fs::create_directories(dir_);
  std::ofstream(dir() + "/experiment.lock") << "host=gone-node\npid=4242\njob=-\ntoken=dead\nstarted=1\n";
  const double start = trn::mono_seconds();
  const LockedExperiment taken = lock_experiment(dir(), kFast);
  ASSERT_TRUE(taken.lock) << taken.problems.at(0).str();
  EXPECT_GE(trn::mono_seconds() - start, kFast.stale_s);
  EXPECT_NE(taken.note.find("from host=gone-node pid=4242 job=-"), std::string::npos) << taken.note;
}

TEST_F(ExperimentFolder, AFolderThatCannotBeMadeIsAProblem) {
  const LockedExperiment none = lock_experiment("/proc/trn-no-such/exp", kFast);
  EXPECT_FALSE(none.lock);
  ASSERT_EQ(none.problems.size(), 1u);
  EXPECT_NE(none.problems[0].value.find("cannot be created"), std::string::npos) << none.problems[0].str();
}

}  // namespace
