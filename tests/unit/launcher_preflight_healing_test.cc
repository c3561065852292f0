// Issue 21, a bad node found by `trn-train preflight`: what node 0 reports for each bad
// row (launcher/heal/preflight_healing.h), and that outside a Slurm job it only reports.
#include <gtest/gtest.h>

#include <stdlib.h>
#include <unistd.h>

#include "launcher/heal/preflight_healing.h"

namespace trn {
namespace {

NodeRow row(const std::string& node) {
  NodeRow r;
  r.node = node;
  for (auto& c : r.cells) c.status = CheckStatus::kOk;
  return r;
}

TEST(PreflightHealing, EachBadRowNamesItsFailedChecks) {
  NodeRow good = row("trn1-st-trn1-1"), bad = row("trn1-st-trn1-3"), warned = row("trn1-st-trn1-4");
  bad.at(Check::kDevices) = {CheckStatus::kFail, "15", "15 devices with 30 NeuronCores, trn1.32xlarge has 32"};
  bad.at(Check::kSdk) = {CheckStatus::kFail, "?", ""};
  warned.at(Check::kPorts) = {CheckStatus::kWarn, "20000", "a warning is not a bad node"};
  const auto found = preflight_bad_nodes({good, bad, warned});
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].host, "trn1-st-trn1-3");
  EXPECT_EQ(found[0].why, "preflight: devices: 15 devices with 30 NeuronCores, trn1.32xlarge has 32; sdk: ?");
  EXPECT_TRUE(preflight_bad_nodes({good, warned}).empty());
}

// The heal folder is the restart's that `run` reads; outside Slurm there is no job to
// requeue, so nothing is written (and no scontrol is asked).
TEST(PreflightHealing, OutsideSlurmItOnlyReports) {
  LaunchEnv le;
  le.job_id = "42";
  le.restart_count = 2;
  char dir[] = "/tmp/trn-preflight-heal-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  const HealSite site = preflight_heal_site(le, dir, 5, "n1");
  EXPECT_EQ(site.dir, std::string(dir) + "/42/2/heal/");
  EXPECT_EQ(site.job_id, "");  // not a Slurm launch
  EXPECT_EQ(site.restart, 2);
  EXPECT_EQ(site.max_restarts, 5);
  le.kind = LaunchKind::kSlurm;
  EXPECT_EQ(preflight_heal_site(le, dir, 5, "n1").job_id, "42");

  heal_after_preflight(site, {{"n3", "preflight: devices: 0"}});
  EXPECT_NE(::access(site.dir.c_str(), F_OK), 0);
  ::rmdir(dir);
}

}  // namespace
}  // namespace trn
