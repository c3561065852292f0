// Issue 11 item 3: `trn-train preflight`'s pure parts: one node's facts judged
// against the plan, the cross-node comparison, the row's JSON round trip, the table
// and the verdict with its `sbatch --exclude=` hostlist.
#include <gtest/gtest.h>

#include "common/hostlist.h"
#include "launcher/preflight/preflight_checks.h"
#include "launcher/preflight/preflight_probe.h"
#include "launcher/preflight/preflight_report.h"
#include "tests/unit/fake_device_tree.h"

namespace trn {
namespace {

Expectation trn1() {
  Expectation w;
  w.instance = "trn1.32xlarge";
  w.neuron = true;
  w.neuron_cores = 32;
  w.efa = 8;
  w.lnc = 1;
  w.platform = Platform::kTrn1;
  w.names = {"trn1.32xlarge"};
  w.catalog_names = {"cpu", "trn1.32xlarge", "trn1n.32xlarge", "trn2.48xlarge"};
  w.needs_neuron_sdk = true;
  w.multi_node = true;
  return w;
}

// A healthy trn1.32xlarge as a real node shows it.
NodeFacts healthy(const std::string& node = "trn1-st-trn1-1", int rank = 0) {
  NodeFacts f;
  f.node = node;
  f.rank = rank;
  f.sysfs_devices = f.dev_nodes = 16;
  f.sysfs_cores = 32;
  f.driver_version = "2.19.64.0";
  f.node_instance = "trn1.32xlarge";
  f.node_platform = Platform::kTrn1;
  f.efa_sysfs = 8;
  f.efa_provider_checked = f.efa_provider = true;
  f.sdk_version = "NeuronX Compiler version 2.15.128.0+56dc5a86";
  f.cache_dir = "/fsx/cache";
  f.cache_free = 500ull << 30;
  f.ports = {{"master", 61234, 0}, {"root-comm", 63234, 0}};
  f.ephemeral.known = true;
  f.nofile_soft = f.nofile_hard = 1048576;
  f.master_host = "trn1-st-trn1-1";
  f.master_ipv4 = "10.0.0.1";
  return f;
}

CheckStatus status(const NodeRow& r, Check c) { return r.at(c).status; }

TEST(Preflight, HealthyNodePassesEveryCheck) {
  const NodeRow r = check_node(healthy(), trn1());
  for (size_t i = 0; i < kCheckCount; ++i)
    EXPECT_EQ(r.cells[i].status, CheckStatus::kOk) << to_string(static_cast<Check>(i)) << ": " << r.cells[i].detail;
  EXPECT_FALSE(r.bad());
  EXPECT_EQ(r.at(Check::kSdk).value, "2.15.128.0+56dc5a86");
  EXPECT_EQ(r.at(Check::kDevices).value, "16");
}

TEST(Preflight, MissingDeviceFailsTheNode) {
  NodeFacts f = healthy();
  f.sysfs_devices = f.dev_nodes = 15;
  f.sysfs_cores = 30;
  const NodeRow r = check_node(f, trn1());
  EXPECT_EQ(status(r, Check::kDevices), CheckStatus::kFail);
  EXPECT_NE(r.at(Check::kDevices).detail.find("30 NeuronCores, trn1.32xlarge has 32"), std::string::npos);
  EXPECT_TRUE(r.bad());
  f.sysfs_devices = f.dev_nodes = 0;
  EXPECT_EQ(status(check_node(f, trn1()), Check::kDevices), CheckStatus::kFail);
  f = healthy();
  f.dev_nodes = 15;  // the driver lists 16, one cannot be opened
  EXPECT_NE(check_node(f, trn1()).at(Check::kDevices).detail.find("/dev has 15"), std::string::npos);
}

TEST(Preflight, InstanceAndLncAgainstThePlan) {
  NodeFacts f = healthy();
  f.node_instance = "trn2.48xlarge";
  EXPECT_EQ(status(check_node(f, trn1()), Check::kInstance), CheckStatus::kFail);
  f = healthy();
  f.node_instance = "";
  f.node_platform = Platform::kUnknown;
  EXPECT_EQ(status(check_node(f, trn1()), Check::kInstance), CheckStatus::kFail);
  f.node_platform = Platform::kTrn1;  // only the chip name: the platform must match
  EXPECT_EQ(status(check_node(f, trn1()), Check::kInstance), CheckStatus::kOk);
  f = healthy();
  f.lnc_env = "2";
  EXPECT_NE(check_node(f, trn1()).at(Check::kInstance).detail.find("NEURON_LOGICAL_NC_CONFIG=2"), std::string::npos);
}

TEST(Preflight, EfaExpectedByTheInstance) {
  NodeFacts f = healthy();
  f.efa_sysfs = 7;
  EXPECT_EQ(status(check_node(f, trn1()), Check::kEfa), CheckStatus::kFail);
  f = healthy();
  f.efa_provider = false;
  f.efa_note = "fi_getinfo: -61";
  EXPECT_EQ(status(check_node(f, trn1()), Check::kEfa), CheckStatus::kFail);
  f.efa_provider_checked = false;  // a fake device tree: only sysfs could be read
  EXPECT_EQ(status(check_node(f, trn1()), Check::kEfa), CheckStatus::kWarn);
  Expectation cpu;
  cpu.instance = "cpu";
  EXPECT_EQ(status(check_node(f, cpu), Check::kEfa), CheckStatus::kNa);
  EXPECT_EQ(status(check_node(f, cpu), Check::kDevices), CheckStatus::kNa);
}

TEST(Preflight, SdkNeededOnlyByNeuronBackends) {
  NodeFacts f = healthy();
  f.sdk_version.clear();
  EXPECT_EQ(status(check_node(f, trn1()), Check::kSdk), CheckStatus::kFail);
  Expectation native = trn1();
  native.needs_neuron_sdk = false;
  EXPECT_EQ(status(check_node(f, native), Check::kSdk), CheckStatus::kNa);
}

TEST(Preflight, CacheReachableWritableWithSpace) {
  NodeFacts f = healthy();
  f.cache_error = "cannot write in /fsx/cache: Read-only file system";
  EXPECT_EQ(status(check_node(f, trn1()), Check::kCache), CheckStatus::kFail);
  f = healthy();
  f.cache_free = 100ull << 20;
  EXPECT_EQ(status(check_node(f, trn1()), Check::kCache), CheckStatus::kFail);
  f.cache_free = 5ull << 30;
  EXPECT_EQ(status(check_node(f, trn1()), Check::kCache), CheckStatus::kWarn);
  f = healthy();
  f.cache_node_local_default = true;
  EXPECT_EQ(status(check_node(f, trn1()), Check::kCache), CheckStatus::kWarn);
}

TEST(Preflight, PortsTakenOrEphemeral) {
  NodeFacts f = healthy();
  f.ports[0].bind_errno = EADDRINUSE;
  NodeRow r = check_node(f, trn1());
  EXPECT_EQ(status(r, Check::kPorts), CheckStatus::kFail);
  EXPECT_NE(r.at(Check::kPorts).detail.find("master port 61234 is taken"), std::string::npos);
  f = healthy();
  f.ephemeral.range = {32768, 65000};  // an admin widened the ephemeral range over ours
  r = check_node(f, trn1());
  EXPECT_EQ(status(r, Check::kPorts), CheckStatus::kWarn);
  f.ephemeral.reserved = {{61234, 61234}, {63000, 63999}};
  EXPECT_EQ(status(check_node(f, trn1()), Check::kPorts), CheckStatus::kOk);
}

TEST(Preflight, FileLimitWarnsLikeRun) {
  NodeFacts f = healthy();
  f.nofile_soft = 1024;
  f.nofile_hard = 4096;
  const NodeRow r = check_node(f, trn1());
  EXPECT_EQ(status(r, Check::kFiles), CheckStatus::kWarn);
  EXPECT_NE(r.at(Check::kFiles).detail.find("65535"), std::string::npos);
}

TEST(Preflight, NoPlanOnTheNodeIsAFailedRow) {
  NodeFacts f;
  f.node = "n1";
  f.plan_error = "master_addr = n0: cannot be resolved";
  const NodeRow r = check_node(f, trn1());
  EXPECT_EQ(status(r, Check::kPlan), CheckStatus::kFail);
  EXPECT_EQ(status(r, Check::kDevices), CheckStatus::kNa);
  EXPECT_TRUE(missing_row("n2", 2, "no row").bad());
}

TEST(Preflight, CrossNodeMinorityFails) {
  std::vector<NodeRow> rows;
  for (int i = 0; i < 4; ++i) {
    NodeFacts f = healthy("trn1-st-trn1-" + std::to_string(i + 1), i);
    if (i == 2) f.sdk_version = "NeuronX Compiler version 2.14.0.0";
    if (i == 3) f.master_ipv4 = "10.0.9.9";  // its resolver says otherwise
    rows.push_back(check_node(f, trn1()));
  }
  compare_rows(&rows);
  EXPECT_FALSE(rows[0].bad());
  EXPECT_FALSE(rows[1].bad());
  EXPECT_EQ(status(rows[2], Check::kSdk), CheckStatus::kFail);
  EXPECT_NE(rows[2].at(Check::kSdk).detail.find("2.15.128.0+56dc5a86 on 3 other"), std::string::npos);
  EXPECT_EQ(status(rows[3], Check::kMaster), CheckStatus::kFail);
  EXPECT_EQ(format_verdict(rows),
            "preflight: FAIL on 2 of 4 nodes: trn1-st-trn1-[3-4]\n"
            "preflight: skip them: sbatch --exclude=trn1-st-trn1-[3-4] ...\n");
}

TEST(Preflight, CrossNodeTieGoesToNodeZero) {
  std::vector<NodeRow> rows;
  for (int i = 0; i < 2; ++i) {
    NodeFacts f = healthy("n" + std::to_string(i), i);
    f.driver_version = i == 0 ? "2.19" : "2.18";
    rows.push_back(check_node(f, trn1()));
  }
  compare_rows(&rows);
  EXPECT_EQ(status(rows[0], Check::kDriver), CheckStatus::kOk);
  EXPECT_EQ(status(rows[1], Check::kDriver), CheckStatus::kFail);
}

TEST(Preflight, RowJsonRoundTrip) {
  NodeFacts f = healthy("trn1-st-trn1-2", 1);
  f.efa_provider_checked = false;
  f.efa_note = "fake \"tree\"";
  const NodeRow r = check_node(f, trn1());
  NodeRow back;
  std::string error;
  ASSERT_TRUE(row_from_json(row_to_json(r), &back, &error)) << error;
  EXPECT_EQ(back.node, r.node);
  EXPECT_EQ(back.rank, 1);
  for (size_t i = 0; i < kCheckCount; ++i) {
    EXPECT_EQ(back.cells[i].status, r.cells[i].status);
    EXPECT_EQ(back.cells[i].value, r.cells[i].value);
    EXPECT_EQ(back.cells[i].detail, r.cells[i].detail);
  }
  EXPECT_FALSE(row_from_json("{\"node\":\"x\"", &back, &error));  // torn
  EXPECT_FALSE(row_from_json("{\"node\":\"x\",\"rank\":0,\"checks\":{}}", &back, &error));
  EXPECT_NE(error.find("plan"), std::string::npos);
}

TEST(Preflight, TableHasALinePerNodeAndSharedDetailsOnce) {
  std::vector<NodeRow> rows;
  for (int i = 0; i < 3; ++i) {
    NodeFacts f = healthy("trn1-st-trn1-" + std::to_string(i + 1), i);
    f.nofile_hard = 20000;
    rows.push_back(check_node(f, trn1()));
  }
  const std::string t = format_table(rows);
  EXPECT_EQ(t.rfind("node ", 0), 0u);
  EXPECT_NE(t.find("\ntrn1-st-trn1-3  "), std::string::npos);
  EXPECT_NE(t.find("  trn1-st-trn1-[1-3] files warn: open-file limit"), std::string::npos);
  EXPECT_EQ(format_verdict(rows), "preflight: ok: 3 nodes (3 warnings above)\n");
}


// Issue 19: preflight's device, driver, instance and EFA checks pass on each new fake
// tree (tests/fixtures/neuron_device_tree.sh), also when a Trn3 server's EC2 name is not
// in the catalog; the wrong type still fails.
TEST(Preflight, NewInstanceTypesPassOnTheirTrees) {
  const InstanceCatalog catalog = load_instance_catalog("conf/instances.yaml");
  struct Case {
    const char* type;
    const char* dmi;
  };
  for (const Case& c : {Case{"trn2u.48xlarge", ""}, Case{"trn3-gen1", ""}, Case{"trn3-gen2", ""},
                        Case{"trn3-gen1", "trn3.unlisted"}}) {
    const std::string& root = test_tree::shared(c.type, c.dmi);
    ASSERT_FALSE(root.empty()) << c.type;
    Plan plan;
    plan.instance = c.type;
    plan.cache.dir = root + "/cache";
    Expectation want = instance_expectation(catalog, c.type);
    want.lnc = 2;
    const NodeRow row = check_node(probe_node(plan, want, root, EnvMap{{"NEURON_LOGICAL_NC_CONFIG", "2"}}), want);
    for (Check k : {Check::kDevices, Check::kDriver, Check::kInstance})
      EXPECT_EQ(status(row, k), CheckStatus::kOk) << c.type << " " << to_string(k) << ": " << row.at(k).detail;
    EXPECT_NE(status(row, Check::kEfa), CheckStatus::kFail) << c.type << ": " << row.at(Check::kEfa).detail;
  }
  // A trn2u node planned as trn3-gen1: wrong chip.
  const Expectation gen1 = instance_expectation(catalog, "trn3-gen1");
  Plan plan;
  plan.cache.dir = test_tree::shared("trn2u.48xlarge") + "/cache";
  const NodeRow wrong = check_node(probe_node(plan, gen1, test_tree::shared("trn2u.48xlarge"), EnvMap{}), gen1);
  EXPECT_EQ(status(wrong, Check::kInstance), CheckStatus::kFail) << wrong.at(Check::kInstance).detail;
}

}  // namespace
}  // namespace trn
