// Issue 21, out of a hang: the limit (launch.hang_timeout, or derived from the step gaps),
// the node's progress over time, which node is to blame, NxDT's progress line, and the
// ranks' progress records as `run` reads them (launcher/heal/hang_watch.h,
// common/progress_record.h).
#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include "common/progress_record.h"
#include "launcher/errors.h"
#include "launcher/heal/hang_watch.h"
#include "launcher/plan/config_loader.h"
#include "tests/unit/temp_dir.h"

namespace trn {
namespace {

TEST(HangLimit, ConfiguredAppliesOnceAStepCompletedWithTheStartFloorBefore) {
  EXPECT_EQ(hang_limit(15, true, 3), 15);
  EXPECT_EQ(hang_limit(15, false, 0), kStartFloor);     // startup is not a step
  EXPECT_EQ(hang_limit(7200, false, 0), 7200);          // a larger limit stands
}

TEST(HangLimit, LaunchHangTimeoutKey) {
  auto load = [](const std::vector<std::string>& overrides) {
    return load_config("conf/tiny_llama_native.yaml", overrides, config::SiteConfig{});
  };
  EXPECT_EQ(load({}).launch.hang_timeout, 0);  // auto
  EXPECT_EQ(load({"launch.hang_timeout=15"}).launch.hang_timeout, 15);
  try {
    load({"launch.hang_timeout=-1"});
    ADD_FAILURE() << "a negative launch.hang_timeout was taken";
  } catch (const InputError& e) {
    ASSERT_EQ(e.problems().size(), 1u);
    EXPECT_EQ(e.problems()[0].key, "launch.hang_timeout");
  }
}

TEST(HangLimit, AutoIsTwentyTimesTheLongestGapWithAFloor) {
  EXPECT_EQ(hang_limit(0, false, 0), kStartFloor);
  EXPECT_EQ(hang_limit(0, true, 2), kAutoFloor);        // 40 s < 600 s
  EXPECT_EQ(hang_limit(0, true, 321.9), 20 * 321.9);    // NxDT 70B's ~322 s/it
  EXPECT_EQ(blame_settle(1), 6);
  EXPECT_EQ(blame_settle(300), 60);
}

TEST(ProgressClock, MeasuresGapsBetweenStepsNotStartup) {
  ProgressClock c(100);
  c.observe(-1, 150);  // no step yet
  EXPECT_FALSE(c.first_step_done());
  EXPECT_FALSE(c.hung(15, 1000));           // before the first step: the start floor
  EXPECT_TRUE(c.hung(15, 100 + kStartFloor + 1));
  c.observe(1, 400);                        // startup took 300 s: not a gap
  EXPECT_TRUE(c.first_step_done());
  EXPECT_EQ(c.longest_gap(), 0);
  c.observe(3, 404);                        // two steps in one look: one gap of 4 s
  c.observe(3, 410);                        // no change
  c.observe(2, 411);                        // lower (another rank behind): no progress
  EXPECT_EQ(c.longest_gap(), 4);
  EXPECT_EQ(c.step(), 3);
  EXPECT_FALSE(c.hung(15, 419));
  EXPECT_TRUE(c.hung(15, 419.5));
  EXPECT_FALSE(c.hung(0, 404 + kAutoFloor));
  EXPECT_TRUE(c.hung(0, 404 + kAutoFloor + 0.1));
}

RankSnapshot rank(int r, char state, std::optional<ProgressPhase> phase) { return {r, 1000L + r, state, phase}; }

TEST(NodeBlame, AStoppedStuckOrGoneRankBlamesItsNode) {
  const auto C = ProgressPhase::kCollective;
  EXPECT_EQ(node_blame({rank(0, 'R', C), rank(1, 'T', C)}), "rank 1 (pid 1001) is stopped");
  EXPECT_EQ(node_blame({rank(0, 'D', ProgressPhase::kCompute)}), "rank 0 (pid 1000) is in uninterruptible sleep (D)");
  EXPECT_EQ(node_blame({rank(0, '\0', C), rank(1, 'Z', C)}), "rank 0 (pid 1000) is gone; rank 1 (pid 1001) is gone");
  EXPECT_EQ(node_blame({rank(-1, 'D', std::nullopt)}), "process 999 is in uninterruptible sleep (D)");  // nxdt
}

TEST(NodeBlame, OneRankComputingWhileTheOthersWaitBlamesTheNode) {
  EXPECT_EQ(node_blame({rank(4, 'S', ProgressPhase::kCollective), rank(5, 'R', ProgressPhase::kCompute),
                        rank(6, 'R', ProgressPhase::kCollective)}),
            "rank 5 (pid 1005) computes while rank 6 waits in a collective");
}

TEST(NodeBlame, RanksThatAllWaitInCollectivesWaitForAnotherNode) {
  const auto C = ProgressPhase::kCollective;
  EXPECT_EQ(node_blame({rank(0, 'R', C), rank(1, 'S', C)}), std::nullopt);
  EXPECT_EQ(node_blame({rank(0, 'R', ProgressPhase::kCompute)}), std::nullopt);  // alone: nobody to compare with
  EXPECT_EQ(node_blame({rank(-1, 'S', std::nullopt), rank(-1, 'R', std::nullopt)}), std::nullopt);
  EXPECT_EQ(node_blame({}), std::nullopt);
}

TEST(NxdtStepParser, ReadsGlobalStepFromTheProgressBarSplitAnywhere) {
  // As NxDT prints it (shared/seeds/parallelcluster-nxdt-llama3-70b.rst), tqdm's \r refreshes.
  const std::string line =
      "\rEpoch 0:   3%|3         | 3/91 [16:05<7:52:06, 321.89s/it, loss=6.7, v_num=2, reduced_train_loss=13.40, "
      "lr=7.5e-9, parameter_norm=5536.0, global_step=1.000, consumed_samples=2048.0]"
      "\rEpoch 0:   3%|3         | 3/91 [16:05<7:52:06, 321.89s/it, loss=4.47, global_step=12.000, consumed";
  for (size_t cut = 0; cut <= line.size(); ++cut) {
    NxdtStepParser p;
    p.feed(line.substr(0, cut));
    p.feed(line.substr(cut));
    EXPECT_EQ(p.step(), 12) << "cut at " << cut;
  }
  NxdtStepParser p;
  p.feed("global_step=7");  // the number may go on
  EXPECT_EQ(p.step(), -1);
  p.feed("0.000 ");
  EXPECT_EQ(p.step(), 70);
  p.feed("step=99 global_steps=5 global_step=x");
  EXPECT_EQ(p.step(), 70);
}

TEST(ProcStat, ParsesPastACommandNameWithParentheses) {
  const auto s = parse_proc_stat("4242 (python3 (x) y) T 4200 4201 4201 0 -1");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->pid, 4242);
  EXPECT_EQ(s->state, 'T');
  EXPECT_EQ(s->ppid, 4200);
  EXPECT_EQ(s->pgrp, 4201);
  EXPECT_FALSE(parse_proc_stat("garbage"));
}

void write_record(const std::string& path, const ProgressRecord& r) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::write(fd, &r, sizeof r), static_cast<ssize_t>(sizeof r));
  ::close(fd);
}

TEST(ProgressRecords, WellFormedRecordsByRankOthersSkipped) {
  test::TempDir d;
  ProgressRecord a, b, bad;
  a.pid = 11, a.rank = 3, a.step = 9, a.phase = static_cast<int32_t>(ProgressPhase::kCollective);
  b.pid = 12, b.rank = 1, b.step = 8;
  bad.pid = 13, bad.magic = 0;  // not yet published
  write_record(d.path + "/" + progress_file_name(3), a);
  write_record(d.path + "/" + progress_file_name(1), b);
  write_record(d.path + "/rank.7", bad);
  write_record(d.path + "/other", a);
  ASSERT_EQ(::symlink((d.path + "/rank.3").c_str(), (d.path + "/rank.9").c_str()), 0);  // never followed
  const auto records = read_progress_records(d.path);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].rank, 1);
  EXPECT_EQ(records[0].step, 8);
  EXPECT_EQ(records[1].pid, 11);
  EXPECT_EQ(records[1].phase, static_cast<int32_t>(ProgressPhase::kCollective));
  EXPECT_TRUE(read_progress_records(d.path + "/missing").empty());
}

}  // namespace
}  // namespace trn
