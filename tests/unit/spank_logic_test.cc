// Unit tests of the plugin's pure logic: plugstack args, options, discovery on
// fake trees, placement, the step plan. No Slurm involved.
#include <gtest/gtest.h>

#include "spank/core_placement.h"
#include "spank/device_discovery.h"
#include "spank/efa_discovery.h"
#include "spank/options.h"
#include "spank/plugin_args.h"
#include "spank/step_nodes.h"
#include "spank/task_env.h"
#include "tests/unit/fake_spank_tree.h"

using namespace neuron;

namespace {
std::string get(const std::vector<EnvVar>& vars, const std::string& name) {
  for (const EnvVar& v : vars)
    if (v.first == name) return v.second;
  return "<unset>";
}
}  // namespace

TEST(PluginArgs, DefaultsAndAllKeys) {
  PluginConfig c;
  trn::Problem err;
  ASSERT_TRUE(parse_plugin_args({}, &c, &err));
  EXPECT_EQ(c.root, "/");
  EXPECT_EQ(c.root_comm_ports.lo, trn::kDefaultRootCommPorts.lo);
  EXPECT_EQ(c.root_comm_ports.hi, trn::kDefaultRootCommPorts.hi);
  ASSERT_TRUE(parse_plugin_args({"root=/x/%n", "instance=trn2.48xlarge", "cores_per_node=128", "lnc=1", "efa=required",
                                 "cache_dir=/fsx/cache", "root_comm_port_range=50000-50010"},
                                &c, &err))
      << err.str();
  EXPECT_EQ(c.root, "/x/%n");
  EXPECT_EQ(c.instance, "trn2.48xlarge");
  EXPECT_EQ(c.cores_per_node, 128);
  EXPECT_EQ(c.lnc, 1);
  EXPECT_EQ(c.efa, EfaMode::kRequired);
  EXPECT_EQ(c.cache_dir, "/fsx/cache");
  EXPECT_EQ(c.root_comm_ports.lo, 50000);
  ASSERT_TRUE(parse_plugin_args({"root_comm_port_range=47000"}, &c, &err)) << err.str();
  EXPECT_EQ(c.root_comm_ports.lo, 47000);
  EXPECT_EQ(c.root_comm_ports.hi, 47000);
}

TEST(PluginArgs, ProblemsNameKeyValueAndFix) {
  PluginConfig c;
  c.lnc = 2;
  trn::Problem err;
  EXPECT_FALSE(parse_plugin_args({"lnc=1", "colour=blue"}, &c, &err));
  EXPECT_EQ(c.lnc, 2);  // untouched on error
  EXPECT_EQ(err.key, "colour");
  EXPECT_EQ(err.value, "blue");
  EXPECT_EQ(err.str().rfind("colour = blue: unknown key; the keys are root, instance,", 0), 0u) << err.str();
  EXPECT_NE(err.fix.find("plugstack.conf"), std::string::npos);
  EXPECT_FALSE(parse_plugin_args({"verbose"}, &c, &err));
  EXPECT_EQ(err.str().rfind("verbose = (absent): expected key=value", 0), 0u) << err.str();
  EXPECT_FALSE(parse_plugin_args({"cache_dir="}, &c, &err));
  EXPECT_EQ(err.str().rfind("cache_dir = (empty): must be", 0), 0u) << err.str();
  const std::pair<const char*, const char*> bad[] = {
      {"efa", "maybe"}, {"lnc", "3"}, {"cores_per_node", "-1"}, {"root", "relative"}, {"instance", "p4d"}};
  for (const auto& [key, value] : bad) {
    EXPECT_FALSE(parse_plugin_args({std::string(key) + "=" + value}, &c, &err)) << key;
    EXPECT_EQ(err.key, key);
    EXPECT_EQ(err.value, value);
    EXPECT_NE(err.fix.find("must be"), std::string::npos) << err.str();
  }
  // The port range's fix is parse_port_range's text, under the plugstack key.
  for (const char* range : {"9-1", "46999-46000", "80", "46000-", "abc"}) {
    EXPECT_FALSE(parse_plugin_args({std::string("root_comm_port_range=") + range}, &c, &err)) << range;
    EXPECT_EQ(err.str().rfind(std::string("root_comm_port_range = ") + range + ": must be a port or a range LO-HI", 0),
              0u)
        << err.str();
  }
}

TEST(PluginArgs, NodePattern) {
  EXPECT_EQ(expand_node_pattern("/t/nodes/%n/x", "trn1-st-trn1-2"), "/t/nodes/trn1-st-trn1-2/x");
  EXPECT_EQ(expand_node_pattern("/a%%n", "n"), "/a%n");
  EXPECT_EQ(expand_node_pattern("/", "n"), "/");
}

TEST(Options, Cores) {
  UserOptions o;
  trn::Problem err;
  EXPECT_TRUE(parse_cores_option("all", &o, &err));
  EXPECT_EQ(o.cores, UserOptions::Cores::kAll);
  EXPECT_TRUE(parse_cores_option("8", &o, &err));
  EXPECT_EQ(o.cores, UserOptions::Cores::kPerTask);
  EXPECT_EQ(o.cores_per_task, 8);
  for (const char* bad : {"abc", "0", "-2", "", "4x", " 4"}) {
    EXPECT_FALSE(parse_cores_option(bad, &o, &err)) << bad;
    EXPECT_EQ(err.key, "--neuron-cores");
    EXPECT_EQ(err.value, *bad ? bad : "(empty)");
  }
  EXPECT_FALSE(parse_cores_option("4x", &o, &err));
  EXPECT_EQ(err.str(), "--neuron-cores = 4x: expected a number of NeuronCores per task (1, 2, 4, ...) or 'all'");
  EXPECT_FALSE(parse_cores_option(nullptr, &o, &err));
  EXPECT_EQ(err.value, "(empty)");
}

TEST(Options, LncEnvCache) {
  UserOptions o;
  trn::Problem err;
  EXPECT_TRUE(parse_lnc_option("1", &o, &err));
  EXPECT_EQ(o.lnc, 1);
  EXPECT_FALSE(parse_lnc_option("4", &o, &err));
  EXPECT_EQ(err.str().rfind("--neuron-lnc = 4: expected 1 or 2", 0), 0u) << err.str();
  EXPECT_TRUE(parse_env_option("off", &o, &err));
  EXPECT_FALSE(o.env);
  EXPECT_FALSE(parse_env_option("no", &o, &err));
  EXPECT_EQ(err.str(), "--neuron-env = no: expected on or off");
  EXPECT_TRUE(parse_cache_option("s3://b/p", &o, &err));
  EXPECT_EQ(o.cache_url, "s3://b/p");
  EXPECT_FALSE(parse_cache_option("", &o, &err));
  EXPECT_EQ(err.str().rfind("--neuron-cache = (empty): expected a directory or URL", 0), 0u) << err.str();
}

TEST(Placement, EvenSplitIsContiguousAndAligned) {
  UserOptions o;
  CoreRange r;
  trn::Problem err;
  const char* want[] = {"0-7", "8-15", "16-23", "24-31"};
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(place_task(o, 32, 4, i, "n1", &r, &err)) << err.str();
    EXPECT_EQ(format_range(r), want[i]);
    EXPECT_EQ(r.first % r.count, 0);
  }
  ASSERT_TRUE(place_task(o, 32, 32, 5, "n1", &r, &err));
  EXPECT_EQ(format_range(r), "5");
  // 3 tasks on 32 cores: 8 each (power of two, aligned), cores 24-31 idle.
  ASSERT_TRUE(place_task(o, 32, 3, 2, "n1", &r, &err));
  EXPECT_EQ(format_range(r), "16-23");
  ASSERT_TRUE(place_task(o, 64, 5, 4, "n1", &r, &err));
  EXPECT_EQ(format_range(r), "32-39");
  // More tasks than cores without --neuron-cores (a CPU job on a trn node): no placement.
  ASSERT_TRUE(place_task(o, 32, 64, 0, "n1", &r, &err));
  EXPECT_EQ(r.count, 0);
}

TEST(Placement, PerTaskAndAll) {
  UserOptions o;
  o.cores = UserOptions::Cores::kPerTask;
  o.cores_per_task = 4;
  CoreRange r;
  trn::Problem err;
  ASSERT_TRUE(place_task(o, 32, 2, 1, "n1", &r, &err));
  EXPECT_EQ(format_range(r), "4-7");
  EXPECT_FALSE(place_task(o, 32, 16, 0, "n1", &r, &err));  // 64 > 32
  EXPECT_EQ(err.key, "--neuron-cores");
  EXPECT_EQ(err.value, "4");
  EXPECT_NE(err.fix.find("16 tasks x 4 cores overcommit the 32 logical NeuronCores of node n1"), std::string::npos);
  o.cores_per_task = 64;
  EXPECT_FALSE(place_task(o, 32, 1, 0, "trn1-st-trn1-1", &r, &err));
  EXPECT_EQ(err.str().rfind("--neuron-cores = 64: must divide the 32 logical NeuronCores of node trn1-st-trn1-1", 0), 0u)
      << err.str();
  o.cores_per_task = 3;
  EXPECT_FALSE(place_task(o, 32, 1, 0, "n1", &r, &err));
  o.cores = UserOptions::Cores::kAll;
  ASSERT_TRUE(place_task(o, 64, 8, 7, "n1", &r, &err));
  EXPECT_EQ(format_range(r), "0-63");
}

class Tree : public ::testing::Test {
 protected:
  void SetUp() override { root = spank_test::make_temp_dir(); }
  void TearDown() override { spank_test::remove_tree(root); }
  std::string root;
};

TEST_F(Tree, DiscoversTrn1AndTrn2) {
  NodeInventory inv;
  spank_test::make_node(root + "/a", "trn1.32xlarge", 16, 2, 8);
  discover_neuron(root + "/a", PluginConfig(), &inv);
  EXPECT_EQ(inv.platform, trn::Platform::kTrn1);
  EXPECT_EQ(inv.instance_type, "trn1.32xlarge");
  EXPECT_EQ(inv.devices, 16);
  EXPECT_EQ(inv.physical_cores, 32);
  EXPECT_EQ(inv.cores_source, "sysfs");
  EXPECT_EQ(trn::count_efa_devices(root + "/a"), 8);

  spank_test::make_node(root + "/b", "trn2.48xlarge", 16, 8, 16);
  discover_neuron(root + "/b", PluginConfig(), &inv);
  EXPECT_EQ(inv.platform, trn::Platform::kTrn2);
  EXPECT_EQ(inv.physical_cores, 128);
  EXPECT_EQ(trn::count_efa_devices(root + "/b"), 16);
}

TEST_F(Tree, FallsBackToDevNodesAndCatalog) {
  NodeInventory inv;
  spank_test::make_node(root, "trn2.48xlarge", 16, 8, 0, /*sysfs=*/false);
  discover_neuron(root, PluginConfig(), &inv);
  EXPECT_EQ(inv.devices, 16);
  EXPECT_EQ(inv.physical_cores, 128);
  EXPECT_EQ(inv.cores_source, "catalog");
  EXPECT_EQ(trn::count_efa_devices(root), 0);
}

TEST_F(Tree, OverridesAndEmptyNode) {
  NodeInventory inv;
  discover_neuron(root, PluginConfig(), &inv);  // empty folder: a CPU node
  EXPECT_EQ(inv.devices, 0);
  EXPECT_EQ(inv.physical_cores, 0);
  PluginConfig c;
  c.instance = "trn2";
  c.cores_per_node = 64;
  discover_neuron(root, c, &inv);
  EXPECT_EQ(inv.platform, trn::Platform::kTrn2);
  EXPECT_EQ(inv.physical_cores, 64);
  EXPECT_EQ(inv.cores_source, "plugstack");
}

TEST_F(Tree, ResolvesThroughRootHostsFile) {
  spank_test::write_file(root + "/etc/hosts", "# test\n10.1.2.3  trn1-st-trn1-1 other\n");
  std::string ip, err;
  ASSERT_TRUE(resolve_ipv4("trn1-st-trn1-1", root, &ip, &err)) << err;
  EXPECT_EQ(ip, "10.1.2.3");
  ASSERT_TRUE(resolve_ipv4("localhost", "/", &ip, &err)) << err;
  EXPECT_EQ(ip, "127.0.0.1");
}

TEST(StepNodes, ThisNodeAndFirstNode) {
  std::string node, first;
  trn::Problem err;
  const std::string list = "trn1-st-trn1-[3-4],trn2-st-trn2-1";
  const char* want[] = {"trn1-st-trn1-3", "trn1-st-trn1-4", "trn2-st-trn2-1"};
  for (uint32_t id = 0; id < 3; ++id) {
    ASSERT_TRUE(step_hosts(list, id, &node, &first, &err)) << err.str();
    EXPECT_EQ(node, want[id]);
    EXPECT_EQ(first, "trn1-st-trn1-3");
  }
  EXPECT_FALSE(step_hosts(list, 3, &node, &first, &err));
  EXPECT_EQ(err.str(), "SLURM_STEP_NODELIST = " + list + ": names 3 nodes, but Slurm says this is node 3");
  EXPECT_FALSE(step_hosts("trn1-[1-", 0, &node, &first, &err));
  EXPECT_EQ(err.key, "SLURM_STEP_NODELIST");
  EXPECT_EQ(err.value, "trn1-[1-");
  EXPECT_FALSE(err.fix.empty());
}

namespace {
StepInputs trn_inputs(const std::string& family, int physical, int tasks) {
  StepInputs in;
  in.inventory.platform = trn::parse_platform(family);
  in.inventory.devices = 16;
  in.inventory.physical_cores = physical;
  in.efa_devices = 8;
  in.node = family + "-st-" + family + "-1";
  in.job_id = 42;
  in.step_id = 0;
  in.local_tasks = tasks;
  in.root_comm_ip = "10.0.0.1";
  return in;
}
}  // namespace

TEST(StepPlan, Trn2DefaultsToLnc2) {
  StepInputs in = trn_inputs("trn2", 128, 1);
  StepPlan p;
  std::vector<EnvVar> vars;
  trn::Problem err;
  ASSERT_TRUE(plan_step(in, &p, &err)) << err.str();
  ASSERT_TRUE(task_env(in, p, 0, &vars, &err));
  EXPECT_EQ(get(vars, "NEURON_RT_VISIBLE_CORES"), "0-63");
  EXPECT_EQ(get(vars, "NEURON_LOGICAL_NC_CONFIG"), "2");
  EXPECT_EQ(get(vars, "FI_PROVIDER"), "efa");
  EXPECT_EQ(get(vars, "FI_EFA_USE_DEVICE_RDMA"), "1");
  EXPECT_EQ(get(vars, "FI_EFA_FORK_SAFE"), "1");
  std::string id = get(vars, "NEURON_RT_ROOT_COMM_ID");
  ASSERT_EQ(id.rfind("10.0.0.1:", 0), 0u) << id;
  int port = std::stoi(id.substr(9));
  EXPECT_GE(port, trn::kDefaultRootCommPorts.lo);
  EXPECT_LE(port, trn::kDefaultRootCommPorts.hi);
  in.options.lnc = 1;
  ASSERT_TRUE(plan_step(in, &p, &err));
  ASSERT_TRUE(task_env(in, p, 0, &vars, &err));
  EXPECT_EQ(get(vars, "NEURON_RT_VISIBLE_CORES"), "0-127");
  EXPECT_EQ(get(vars, "NEURON_LOGICAL_NC_CONFIG"), "1");
  in.options.lnc = 0;
  in.config.lnc = 1;  // admin default
  ASSERT_TRUE(plan_step(in, &p, &err));
  EXPECT_EQ(p.logical_cores, 128);
}

TEST(StepPlan, Trn1RejectsLncAndOvercommit) {
  StepInputs in = trn_inputs("trn1", 32, 4);
  StepPlan p;
  trn::Problem err;
  ASSERT_TRUE(plan_step(in, &p, &err));
  EXPECT_EQ(p.lnc, 0);
  in.options.lnc = 2;
  EXPECT_FALSE(plan_step(in, &p, &err));
  EXPECT_EQ(err.key, "--neuron-lnc");
  EXPECT_EQ(err.value, "2");
  EXPECT_NE(err.fix.find("node trn1-st-trn1-1 is trn1"), std::string::npos) << err.str();
  in.options.lnc = 0;
  in.options.cores = UserOptions::Cores::kPerTask;
  in.options.cores_per_task = 16;
  EXPECT_FALSE(plan_step(in, &p, &err));
  EXPECT_EQ(err.str().rfind("--neuron-cores = 16: 4 tasks x 16 cores overcommit", 0), 0u) << err.str();
}

TEST(StepPlan, PortsDifferPerStepAndEnvOff) {
  StepInputs in = trn_inputs("trn1", 32, 1);
  StepPlan a, b;
  trn::Problem err;
  ASSERT_TRUE(plan_step(in, &a, &err));
  in.step_id = 1;
  ASSERT_TRUE(plan_step(in, &b, &err));
  std::vector<EnvVar> va, vb;
  ASSERT_TRUE(task_env(in, a, 0, &va, &err));
  ASSERT_TRUE(task_env(in, b, 0, &vb, &err));
  EXPECT_NE(get(va, "NEURON_RT_ROOT_COMM_ID"), get(vb, "NEURON_RT_ROOT_COMM_ID"));
  in.options.env = false;
  in.config.cache_dir = "/fsx/c";
  ASSERT_TRUE(plan_step(in, &a, &err));
  ASSERT_TRUE(task_env(in, a, 0, &va, &err));
  EXPECT_EQ(get(va, "FI_PROVIDER"), "<unset>");
  EXPECT_EQ(get(va, "NEURON_RT_ROOT_COMM_ID"), "<unset>");
  EXPECT_EQ(get(va, "NEURON_COMPILE_CACHE_URL"), "<unset>");
  EXPECT_EQ(get(va, "NEURON_RT_VISIBLE_CORES"), "0-31");
}

TEST(StepPlan, CacheEfaAndCpuNodes) {
  StepInputs in = trn_inputs("trn1", 32, 1);
  in.config.cache_dir = "/fsx/admin";
  StepPlan p;
  std::vector<EnvVar> vars;
  trn::Problem err;
  ASSERT_TRUE(plan_step(in, &p, &err));
  ASSERT_TRUE(task_env(in, p, 0, &vars, &err));
  EXPECT_EQ(get(vars, "NEURON_COMPILE_CACHE_URL"), "/fsx/admin");
  in.options.cache_url = "s3://user";
  ASSERT_TRUE(plan_step(in, &p, &err));
  ASSERT_TRUE(task_env(in, p, 0, &vars, &err));
  EXPECT_EQ(get(vars, "NEURON_COMPILE_CACHE_URL"), "s3://user");
  in.efa_devices = 0;
  ASSERT_TRUE(plan_step(in, &p, &err));
  ASSERT_TRUE(task_env(in, p, 0, &vars, &err));
  EXPECT_EQ(get(vars, "FI_PROVIDER"), "<unset>");
  in.config.efa = EfaMode::kRequired;
  EXPECT_FALSE(plan_step(in, &p, &err));
  EXPECT_EQ(err.str().rfind("efa = required: node trn1-st-trn1-1 has no EFA device", 0), 0u) << err.str();
  // A CPU node: nothing set, unless the user asked for NeuronCores explicitly.
  StepInputs cpu;
  cpu.node = "cpu-1";
  cpu.local_tasks = 2;
  ASSERT_TRUE(plan_step(cpu, &p, &err));
  ASSERT_TRUE(task_env(cpu, p, 1, &vars, &err));
  EXPECT_TRUE(vars.empty());
  cpu.options.cores = UserOptions::Cores::kAll;
  EXPECT_FALSE(plan_step(cpu, &p, &err));
  EXPECT_EQ(err.str().rfind("--neuron-cores = all: node cpu-1 has no Neuron devices", 0), 0u) << err.str();
}
