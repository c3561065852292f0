// Issue 21: the pure parts of a job healing itself (launcher/heal/): what Slurm says of
// the job, whether it may be requeued, the exclusion list, and the decision record the
// next run and `trn-train status` read back. The protocol's claim is exercised here on
// a private folder outside Slurm (no scontrol); the cluster tests run it for real.
#include <gtest/gtest.h>

#include <stdlib.h>

#include "common/fs.h"
#include "launcher/heal/heal.h"

namespace trn {
namespace {

constexpr const char* kRunningJob =
    "JobId=42 JobName=wrap UserId=root(0) GroupId=root(0) Priority=1 JobState=RUNNING Reason=None "
    "Requeue=1 Restarts=2 BatchFlag=1 Reboot=0 ExitCode=0:0 RunTime=00:01:02 TimeLimit=00:03:00 "
    "ReqNodeList=(null) ExcNodeList=trn1-st-trn1-[5-6] NodeList=trn1-st-trn1-[1-4]\n";

TEST(Heal, ReadsTheJobAsScontrolPrintsIt) {
  const SlurmJob job = parse_slurm_job(kRunningJob);
  EXPECT_TRUE(job.found);
  EXPECT_TRUE(job.batch);
  EXPECT_TRUE(job.requeue);
  EXPECT_EQ(job.restarts, 2);
  EXPECT_EQ(job.state, "RUNNING");
  EXPECT_EQ(job.exc_nodes, "trn1-st-trn1-[5-6]");
  const SlurmJob interactive = parse_slurm_job("JobId=7 JobState=RUNNING Requeue=0 BatchFlag=0 ExcNodeList=(null)");
  EXPECT_FALSE(interactive.batch);
  EXPECT_FALSE(interactive.requeue);
  EXPECT_EQ(interactive.exc_nodes, "");
  EXPECT_FALSE(parse_slurm_job("slurm_load_jobs error: Invalid job id specified").found);
}

TEST(Heal, RequeuesOnlyWhatSlurmWouldAndWithinMaxRestarts) {
  SlurmJob job = parse_slurm_job(kRunningJob);
  EXPECT_FALSE(requeue_refusal(job, 2, 10));
  const auto at_limit = requeue_refusal(job, 10, 10);
  ASSERT_TRUE(at_limit);
  EXPECT_NE(at_limit->find("launch.max_restarts = 10"), std::string::npos) << *at_limit;
  job.requeue = false;
  EXPECT_NE(requeue_refusal(job, 0, 10).value_or("").find("--requeue"), std::string::npos);
  job.requeue = true, job.batch = false;
  EXPECT_NE(requeue_refusal(job, 0, 10).value_or("").find("not a batch job"), std::string::npos);
  EXPECT_TRUE(requeue_refusal(SlurmJob{}, 0, 10));
}

TEST(Heal, ExclusionKeepsWhatTheJobAlreadyExcludes) {
  EXPECT_EQ(merged_exclude("trn1-st-trn1-[5-6]", {"trn1-st-trn1-2", "trn1-st-trn1-6"}), "trn1-st-trn1-[5-6,2]");
  EXPECT_EQ(merged_exclude("", {"a1"}), "a1");
}

TEST(Heal, TheDecisionRecordReadsBackAsWritten) {
  HealDecision d;
  d.restart = 3, d.reason = HealReason::kBadNode, d.decided_by = "trn1-st-trn1-2";
  d.bad = {{"trn1-st-trn1-2", "Neuron runtime: hardware error"}};
  d.drained = {"trn1-st-trn1-2"};
  d.requeued = true;
  std::string why;
  const auto back = parse_decision(decision_json(d), &why);
  ASSERT_TRUE(back) << why;
  EXPECT_EQ(back->restart, 3);
  EXPECT_EQ(back->reason, HealReason::kBadNode);
  ASSERT_EQ(back->bad.size(), 1u);
  EXPECT_EQ(back->bad[0].why, "Neuron runtime: hardware error");
  EXPECT_EQ(back->drained, d.drained);
  EXPECT_TRUE(back->requeued);
  EXPECT_EQ(describe_decision(d, "42"),
            "job 42, run 3: bad node; trn1-st-trn1-2: Neuron runtime: hardware error; drained trn1-st-trn1-2; "
            "requeued (restart 4)");
  EXPECT_FALSE(parse_decision("{\"restart\": 1}", &why));
  EXPECT_FALSE(parse_decision(decision_json(d).replace(decision_json(d).find("bad-node"), 8, "bad-nose"), &why));
}

// Outside a Slurm job nothing is requeued, but the one decision is still made once and
// recorded with the findings of every node; a second claimant gets none.
TEST(Heal, OneTaskDecidesWithEveryNodesFindings) {
  char dir[] = "/tmp/trn-heal-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  HealSite site;
  site.dir = std::string(dir) + "/heal/";
  site.host = "n1";
  report_bad_node(site, {"n3", "preflight: neuron devices"});
  const auto d = heal_job(site, HealReason::kHang, std::chrono::milliseconds(0));
  ASSERT_TRUE(d);
  EXPECT_EQ(d->reason, HealReason::kBadNode);  // a node to blame makes it a bad-node decision
  ASSERT_EQ(d->bad.size(), 1u);
  EXPECT_EQ(d->bad[0].host, "n3");
  EXPECT_FALSE(d->requeued);
  EXPECT_EQ(d->not_requeued, "not a Slurm job");
  EXPECT_FALSE(heal_job(site, HealReason::kTimeLimit, std::chrono::milliseconds(0)));
  const auto seen = wait_for_decision(site, std::chrono::milliseconds(0));
  ASSERT_TRUE(seen);
  EXPECT_EQ(seen->decided_by, "n1");
  remove_tree(dir);
}

}  // namespace
}  // namespace trn
