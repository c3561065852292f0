// Issue 22 item 1: `trn-train health` on fake trn1.32xlarge trees (tests/fixtures/
// neuron_device_tree.sh, the writer localslurm's nodes use): each failure (a missing
// device, a rising error counter, a missing EFA device, a full cache filesystem) fails
// the node with a drain reason naming it, a healthy node passes, and the drain/resume
// decision never lifts or overwrites a drain someone else set.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>

#include "launcher/health/health_checks.h"
#include "launcher/health/health_probe.h"
#include "launcher/plan/instance_catalog.h"
#include "launcher/preflight/preflight_probe.h"
#include "tests/unit/fake_device_tree.h"
#include "tests/unit/temp_dir.h"

namespace trn {
namespace {

Expectation trn1() { return instance_expectation(load_instance_catalog("conf/instances.yaml"), "trn1.32xlarge"); }

// What run_health gathers, with the cache's free space given (statvfs injected) and the
// counters compared with `baseline` (none: a first run).
HealthFacts facts_on(const std::string& root, uint64_t cache_free = 500ull << 30,
                     const ErrorCounters* baseline = nullptr) {
  HealthFacts f;
  f.node.node = "trn1-st-trn1-1";
  probe_hardware(root, trn1(), &f.node);
  f.node.nofile_soft = f.node.nofile_hard = 1048576;  // the host's own limit is not under test
  f.node.cache_dir = "/fsx/cache";
  f.node.cache_free = cache_free;
  f.counters = read_error_counters(root);
  f.runtime_version = "2.21.41.0";
  if (baseline) f.have_baseline = true, f.baseline = *baseline;
  return f;
}

const CheckCell& line(const HealthVerdict& v, const std::string& check) {
  for (const auto& l : v.lines)
    if (l.check == check) return l.cell;
  static const CheckCell none{CheckStatus::kNa, "missing line " + check, ""};
  return none;
}

void write(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

struct Tree {
  std::string root = test_tree::make("trn1.32xlarge");
  ~Tree() { test_tree::remove(root); }
  std::string device(int i) const { return root + "/sys/devices/virtual/neuron_device/neuron" + std::to_string(i); }
};

TEST(Health, HealthyTreePassesAndLeavesNoReason) {
  Tree t;
  ASSERT_FALSE(t.root.empty());
  const HealthVerdict v = judge_health(facts_on(t.root), trn1(), false);
  EXPECT_TRUE(v.healthy());
  EXPECT_EQ(v.drain_reason(), "");
  EXPECT_EQ(line(v, "devices").status, CheckStatus::kOk);
  EXPECT_EQ(line(v, "efa").status, CheckStatus::kWarn);  // a fake tree: libfabric not asked
  EXPECT_EQ(line(v, "counters").value, std::to_string(16 * 2 + 32)) << "2 ECC counters per device, hw_error per core";
}

TEST(Health, MissingDeviceFails) {
  Tree t;
  ASSERT_EQ(std::system(("rm -rf " + t.device(5) + " " + t.root + "/sys/class/neuron_device/neuron5 " + t.root +
                         "/dev/neuron5").c_str()),
            0);
  const HealthVerdict v = judge_health(facts_on(t.root), trn1(), false);
  EXPECT_FALSE(v.healthy());
  EXPECT_EQ(line(v, "devices").status, CheckStatus::kFail);
  EXPECT_EQ(v.drain_reason().rfind("trn-train health: devices: 15 devices with 30 NeuronCores", 0), 0u)
      << v.drain_reason();
}

TEST(Health, RisingErrorCounterFailsUntilReloadOrAccepted) {
  Tree t;
  const HealthVerdict first = judge_health(facts_on(t.root), trn1(), false);
  ASSERT_TRUE(first.healthy());
  write(t.device(3) + "/stats/hardware/mem_ecc_uncorrected/total", "2\n");
  const HealthVerdict rose = judge_health(facts_on(t.root, 500ull << 30, &first.next_baseline), trn1(), false);
  EXPECT_FALSE(rose.healthy());
  EXPECT_EQ(line(rose, "counters").status, CheckStatus::kFail);
  EXPECT_NE(rose.drain_reason().find("neuron3/stats/hardware/mem_ecc_uncorrected 0 -> 2"), std::string::npos)
      << rose.drain_reason();
  // The next run still fails: the baseline kept the count from before the rise.
  const HealthVerdict again = judge_health(facts_on(t.root, 500ull << 30, &rose.next_baseline), trn1(), false);
  EXPECT_FALSE(again.healthy());
  // Accepted by the admin: healthy, and the new count is the baseline.
  const HealthVerdict accepted = judge_health(facts_on(t.root, 500ull << 30, &again.next_baseline), trn1(), true);
  EXPECT_TRUE(accepted.healthy());
  EXPECT_EQ(accepted.next_baseline.at("neuron3/stats/hardware/mem_ecc_uncorrected"), 2u);
  // A per-core hw_error rising fails too; a driver reload (counts back to 0) does not.
  write(t.device(0) + "/neuron_core1/status/hw_error/total", "1\n");
  EXPECT_FALSE(judge_health(facts_on(t.root, 500ull << 30, &accepted.next_baseline), trn1(), false).healthy());
  ASSERT_EQ(std::system(("for f in $(find " + t.root + "/sys -name total); do echo 0 > $f; done").c_str()), 0);
  EXPECT_TRUE(judge_health(facts_on(t.root, 500ull << 30, &accepted.next_baseline), trn1(), false).healthy());
}

TEST(Health, MissingEfaDeviceFails) {
  Tree t;
  ASSERT_EQ(std::system(("rm -rf " + t.root + "/sys/class/infiniband/rdmap23s27").c_str()), 0);
  const HealthVerdict v = judge_health(facts_on(t.root), trn1(), false);
  EXPECT_EQ(line(v, "efa").status, CheckStatus::kFail);
  EXPECT_EQ(v.drain_reason().rfind("trn-train health: efa: 7 of the 8 EFA devices", 0), 0u) << v.drain_reason();
}

TEST(Health, FullCacheFilesystemFails) {
  Tree t;
  const HealthVerdict v = judge_health(facts_on(t.root, 100ull << 20), trn1(), false);
  EXPECT_EQ(line(v, "cache").status, CheckStatus::kFail);
  EXPECT_EQ(v.drain_reason().rfind("trn-train health: cache: only 100", 0), 0u) << v.drain_reason();
}

TEST(Health, PinnedDriverAndRuntimeVersions) {
  Tree t;  // its driver is 2.19.64.0; facts_on's runtime 2.21.41.0
  EXPECT_TRUE(judge_health(facts_on(t.root), trn1(), false, {"2.19", "2.21.41.0"}).healthy());
  const HealthVerdict drift = judge_health(facts_on(t.root), trn1(), false, {"2.20", ""});
  EXPECT_EQ(line(drift, "driver").status, CheckStatus::kFail);
  EXPECT_EQ(drift.drain_reason(),
            "trn-train health: driver: the Neuron driver 2.19.64.0 here, the cluster runs 2.20 (--driver): install that "
            "version or drain");
  HealthFacts unknown = facts_on(t.root);
  unknown.runtime_version.clear();
  EXPECT_EQ(line(judge_health(unknown, trn1(), false, {"", "2.21"}), "runtime").status, CheckStatus::kFail);
  EXPECT_EQ(line(judge_health(unknown, trn1(), false), "runtime").status, CheckStatus::kWarn) << "unpinned: a warning";
  EXPECT_FALSE(version_matches("2.190.1", "2.19"));
  EXPECT_TRUE(version_matches("2.21.41.0-fb1705f5f", "2.21.41.0"));
}

TEST(Health, NodeWithoutNeuronIsJudgedOnlyOnWhatApplies) {
  Tree t;
  HealthFacts f = facts_on(t.root);
  const HealthVerdict v = judge_health(f, Expectation{}, false);
  EXPECT_TRUE(v.healthy());
  for (const char* c : {"devices", "driver", "efa", "runtime", "counters"})
    EXPECT_EQ(line(v, c).status, CheckStatus::kNa) << c;
}

TEST(Health, BaselineKeepsRisenCountsAndFollowsResets) {
  const ErrorCounters base{{"a", 1}, {"b", 5}, {"c", 0}};
  const ErrorCounters now{{"a", 1}, {"b", 7}, {"c", 0}, {"d", 3}};
  EXPECT_EQ(next_baseline(base, now, false), (ErrorCounters{{"a", 1}, {"b", 5}, {"c", 0}, {"d", 3}}));
  EXPECT_EQ(next_baseline(base, {{"b", 0}}, false), (ErrorCounters{{"b", 0}}));
  EXPECT_EQ(next_baseline(base, now, true), now);
}

TEST(Health, StateFileRoundTripAndDistrust) {
  test::TempDir dir;
  const std::string path = health_state_path(dir.path + "/state", "n1");
  ErrorCounters got;
  std::string error;
  EXPECT_FALSE(load_health_state(path, &got, &error));
  EXPECT_EQ(error, "") << "no file: no baseline, no error";
  ASSERT_TRUE(save_health_state(path, "n1", {{"neuron0/stats/hardware/mem_ecc_uncorrected", 4}}, &error)) << error;
  ASSERT_TRUE(load_health_state(path, &got, &error)) << error;
  EXPECT_EQ(got.at("neuron0/stats/hardware/mem_ecc_uncorrected"), 4u);
  ::chmod(path.c_str(), 0666);  // anyone could have lowered the baseline
  EXPECT_FALSE(load_health_state(path, &got, &error));
  EXPECT_NE(error.find("writable by others"), std::string::npos) << error;
}

TEST(Health, ParsesScontrolShowNode) {
  SlurmNodeState s;
  ASSERT_TRUE(parse_scontrol_node("NodeName=trn1-st-trn1-2 Arch=x86_64 CoresPerSocket=1 State=IDLE+DRAIN ThreadsPerCore=1 "
                                  "Reason=trn-train health: devices: 15 devices [root@2026-12-07T11:00:00]\n",
                                  &s));
  EXPECT_TRUE(s.drained);
  EXPECT_EQ(s.reason, "trn-train health: devices: 15 devices");
  ASSERT_TRUE(parse_scontrol_node("NodeName=n1 Arch=x86_64 State=IDLE ThreadsPerCore=1\n", &s));
  EXPECT_FALSE(s.drained);
  EXPECT_EQ(s.reason, "");
  EXPECT_FALSE(parse_scontrol_node("Node n9 not found\n", &s));
}

TEST(Health, DrainsAndResumesOnlyItsOwnDrains) {
  const std::string ours = "trn-train health: efa: 7 of the 8 EFA devices";
  EXPECT_EQ(decide_node_action(false, {false, ""}, ours), NodeAction::kDrain);
  EXPECT_EQ(decide_node_action(false, {true, ours}, ours), NodeAction::kNone);
  EXPECT_EQ(decide_node_action(false, {true, "trn-train health: devices: 15"}, ours), NodeAction::kDrain);
  EXPECT_EQ(decide_node_action(false, {true, "admin: bad DIMM"}, ours), NodeAction::kNone);
  EXPECT_EQ(decide_node_action(true, {true, ours}, ""), NodeAction::kResume);
  EXPECT_EQ(decide_node_action(true, {true, "admin: bad DIMM"}, ""), NodeAction::kNone);
  EXPECT_EQ(decide_node_action(true, {false, ""}, ""), NodeAction::kNone);
}

}  // namespace
}  // namespace trn
