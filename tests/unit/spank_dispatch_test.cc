// The plugin's real SPANK entry points driven through the fake SPANK API
// (tests/unit/fake_spank.cc): contexts, option registration and validation,
// special steps, per-task environment, user values winning, error reporting,
// and steps over several nodes whose device trees differ (root=.../%n).
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "common/ports.h"
#include "tests/unit/fake_spank.h"
#include "tests/unit/fake_spank_tree.h"

extern "C" {
#include <slurm/slurm.h>
int slurm_spank_init(spank_t, int, char**);
int slurm_spank_user_init(spank_t, int, char**);
int slurm_spank_task_init(spank_t, int, char**);
int slurm_spank_exit(spank_t, int, char**);
}

namespace {

using fake_spank::world;
using Env = std::map<std::string, std::string>;

const char kUnset[] = "(unset)";
std::string value_of(const Env& env, const std::string& name) {
  auto it = env.find(name);
  return it == env.end() ? kUnset : it->second;
}

class Dispatch : public ::testing::Test {
 protected:
  void SetUp() override {
    fake_spank::reset();
    dir = spank_test::make_temp_dir();
    // Three different nodes: trn1 with 32 cores and EFA, trn1 with 16 cores and no
    // EFA, trn2 (LNC 2 by default). Every node resolves every name (its /etc/hosts).
    spank_test::make_node(dir + "/nodes/trn1-st-trn1-1", "trn1.32xlarge", 16, 2, 8);
    spank_test::make_node(dir + "/nodes/trn1-st-trn1-2", "trn1.32xlarge", 8, 2, 0);
    spank_test::make_node(dir + "/nodes/trn2-st-trn2-1", "trn2.48xlarge", 16, 8, 16);
    for (const char* node : {"trn1-st-trn1-1", "trn1-st-trn1-2", "trn2-st-trn2-1"})
      spank_test::write_file(dir + "/nodes/" + node + "/etc/hosts",
                             "127.0.0.1 trn1-st-trn1-1\n127.0.0.3 trn1-st-trn1-2\n127.0.0.2 trn2-st-trn2-1\n");
  }
  void TearDown() override {
    slurm_spank_exit(fake_spank::handle(), 0, nullptr);
    spank_test::remove_tree(dir);
  }

  int init(std::vector<std::string> extra = {}) {
    args = {"root=" + dir + "/nodes/%n"};
    args.insert(args.end(), extra.begin(), extra.end());
    argv.clear();
    for (std::string& a : args) argv.push_back(&a[0]);
    return slurm_spank_init(fake_spank::handle(), static_cast<int>(argv.size()), argv.data());
  }

  // A remote step of job 1234 on node `nodeid` of `nodelist` with `tasks` local tasks.
  // As in slurmstepd's user_init, the job env still names the submitting node.
  void remote_step(const std::string& nodelist, int tasks, uint32_t step = 0, uint32_t nodeid = 0) {
    world().context = S_CTX_REMOTE;
    world().items[S_JOB_ID] = 1234;
    world().items[S_JOB_STEPID] = step;
    world().items[S_JOB_NODEID] = nodeid;
    world().items[S_JOB_LOCAL_TASK_COUNT] = tasks;
    world().env["SLURM_STEP_NODELIST"] = nodelist;
    world().env["SLURMD_NODENAME"] = "login-1";
  }

  // One node's slurmstepd for a whole step: a fresh plugin (init in remote context,
  // `options` given as srun forwards them), user_init, then task_init for each local
  // task. Returns each task's environment; *rc the first failing task_init's status.
  std::vector<std::map<std::string, std::string>> node_step(const std::string& nodelist, uint32_t nodeid, int tasks,
                                                            const std::map<std::string, const char*>& options,
                                                            int* rc) {
    slurm_spank_exit(fake_spank::handle(), 0, nullptr);
    fake_spank::reset();
    world().context = S_CTX_REMOTE;
    EXPECT_EQ(init(), 0);
    remote_step(nodelist, tasks, 0, nodeid);
    for (const auto& [name, value] : options) EXPECT_EQ(fake_spank::give_option(name, value, 1), 0) << name;
    EXPECT_EQ(slurm_spank_user_init(fake_spank::handle(), 0, nullptr), 0);
    std::vector<std::map<std::string, std::string>> envs(tasks);
    *rc = 0;
    for (int i = 0; i < tasks; ++i) {
      int r = task(i, &envs[i]);
      if (*rc == 0) *rc = r;
    }
    return envs;
  }

  // task_init for local task `task` on a copy of the step env (each task is a fork).
  int task(int id, std::map<std::string, std::string>* env_out) {
    auto saved = world().env;
    world().items[S_TASK_ID] = id;
    world().items[S_TASK_GLOBAL_ID] = id;
    int rc = slurm_spank_task_init(fake_spank::handle(), 0, nullptr);
    *env_out = world().env;
    world().env = saved;
    return rc;
  }

  std::string dir;
  std::vector<std::string> args;
  std::vector<char*> argv;
};

TEST_F(Dispatch, RegistersOptionsInSrunSbatchAndStepd) {
  for (spank_context_t ctx : {S_CTX_LOCAL, S_CTX_ALLOCATOR, S_CTX_REMOTE}) {
    fake_spank::reset();
    world().context = ctx;
    ASSERT_EQ(init(), 0);
    EXPECT_EQ(world().registered,
              (std::vector<std::string>{"neuron-cores", "neuron-lnc", "neuron-cache", "neuron-env", "neuron-verbose"}));
    for (const struct spank_option& o : world().options) EXPECT_EQ(std::string(o.usage).rfind("[neuron] ", 0), 0u);
    slurm_spank_exit(fake_spank::handle(), 0, nullptr);
  }
  fake_spank::reset();
  world().context = S_CTX_SLURMD;
  EXPECT_EQ(init(), 0);
  EXPECT_TRUE(world().registered.empty());
}

TEST_F(Dispatch, UnknownPlugstackKeyFailsClientsButNotSlurmd) {
  world().context = S_CTX_LOCAL;
  EXPECT_EQ(init({"colour=blue"}), -1);
  ASSERT_EQ(world().errors.size(), 1u);
  EXPECT_EQ(world().errors[0].rfind("neuron: error: colour = blue: unknown key; the keys are root,", 0), 0u)
      << world().errors[0];
  world().context = S_CTX_SLURMD;
  EXPECT_EQ(init({"colour=blue"}), 0);
}

TEST_F(Dispatch, BadOptionFailsLocallyWithOneMessage) {
  world().context = S_CTX_LOCAL;
  ASSERT_EQ(init(), 0);
  EXPECT_EQ(fake_spank::give_option("neuron-cores", "abc", 0), -1);
  ASSERT_EQ(world().errors.size(), 1u);
  EXPECT_EQ(world().errors[0].rfind("neuron: error: --neuron-cores = abc: expected a number of NeuronCores", 0), 0u)
      << world().errors[0];
  EXPECT_EQ(fake_spank::give_option("neuron-lnc", "3", 0), -1);
  EXPECT_EQ(fake_spank::give_option("neuron-cores", "all", 0), 0);
}

TEST_F(Dispatch, Trn1FourTasksGetQuarters) {
  ASSERT_EQ(init(), 0);
  remote_step("trn1-st-trn1-1", 4);
  ASSERT_EQ(slurm_spank_user_init(fake_spank::handle(), 0, nullptr), 0);
  const char* want[] = {"0-7", "8-15", "16-23", "24-31"};
  std::string comm;
  for (int i = 0; i < 4; ++i) {
    std::map<std::string, std::string> env;
    ASSERT_EQ(task(i, &env), 0) << (world().errors.empty() ? "" : world().errors.back());
    EXPECT_EQ(env["NEURON_RT_VISIBLE_CORES"], want[i]);
    EXPECT_EQ(env.count("NEURON_LOGICAL_NC_CONFIG"), 0u);
    EXPECT_EQ(env["FI_PROVIDER"], "efa");
    if (i == 0) comm = env["NEURON_RT_ROOT_COMM_ID"];
    EXPECT_EQ(env["NEURON_RT_ROOT_COMM_ID"], comm);
  }
  const int port = std::stoi(comm.substr(comm.rfind(':') + 1));
  EXPECT_GE(port, trn::kDefaultRootCommPorts.lo) << comm;
  EXPECT_LE(port, trn::kDefaultRootCommPorts.hi) << comm;
  EXPECT_TRUE(world().errors.empty());
}

TEST_F(Dispatch, Trn2LncOptionAndVerbose) {
  ASSERT_EQ(init(), 0);
  remote_step("trn2-st-trn2-1", 1);
  ASSERT_EQ(fake_spank::give_option("neuron-lnc", "1", 1), 0);
  ASSERT_EQ(fake_spank::give_option("neuron-verbose", nullptr, 1), 0);
  ASSERT_EQ(slurm_spank_user_init(fake_spank::handle(), 0, nullptr), 0);
  std::map<std::string, std::string> env;
  ASSERT_EQ(task(0, &env), 0);
  EXPECT_EQ(env["NEURON_RT_VISIBLE_CORES"], "0-127");
  EXPECT_EQ(env["NEURON_LOGICAL_NC_CONFIG"], "1");
  EXPECT_EQ(env["NEURON_RT_ROOT_COMM_ID"].rfind("127.0.0.2:", 0), 0u);
  ASSERT_EQ(world().spank_logs.size(), 1u);
  EXPECT_NE(world().spank_logs[0].find("NEURON_RT_VISIBLE_CORES=0-127"), std::string::npos);
}

TEST_F(Dispatch, UserValuesWin) {
  ASSERT_EQ(init(), 0);
  remote_step("trn1-st-trn1-1", 1);
  world().env["NEURON_RT_VISIBLE_CORES"] = "3";
  world().env["FI_PROVIDER"] = "tcp";
  ASSERT_EQ(slurm_spank_user_init(fake_spank::handle(), 0, nullptr), 0);
  std::map<std::string, std::string> env;
  ASSERT_EQ(task(0, &env), 0);
  EXPECT_EQ(env["NEURON_RT_VISIBLE_CORES"], "3");
  EXPECT_EQ(env["FI_PROVIDER"], "tcp");
  EXPECT_EQ(env["FI_EFA_FORK_SAFE"], "1");
}

TEST_F(Dispatch, LncOnTrn1FailsInTaskInitOncePerNode) {
  ASSERT_EQ(init(), 0);
  remote_step("trn1-st-trn1-1", 2);
  ASSERT_EQ(fake_spank::give_option("neuron-lnc", "2", 1), 0);
  ASSERT_EQ(slurm_spank_user_init(fake_spank::handle(), 0, nullptr), 0);  // never fails there
  EXPECT_TRUE(world().errors.empty());
  std::map<std::string, std::string> env;
  EXPECT_EQ(task(0, &env), -1);
  EXPECT_EQ(task(1, &env), -1);
  ASSERT_EQ(world().errors.size(), 1u);
  EXPECT_EQ(world().errors[0].rfind("neuron: error: --neuron-lnc = 2: logical NeuronCore config applies only to trn2 and trn3; "
                                    "node trn1-st-trn1-1 is trn1",
                                    0),
            0u)
      << world().errors[0];
  EXPECT_EQ(env.count("NEURON_RT_VISIBLE_CORES"), 0u);
}

// Defect 2, plugin half: the job's own NEURON_LOGICAL_NC_CONFIG is the LNC the task
// runs with (the user's value wins in task_init), so the cores are placed for it: two
// tasks at LNC 1 on trn2 get 0-63 and 64-127 (old code: 0-31 and 32-63).
TEST_F(Dispatch, JobsOwnLncPlacesTheCores) {
  ASSERT_EQ(init(), 0);
  remote_step("trn2-st-trn2-1", 2);
  world().env["NEURON_LOGICAL_NC_CONFIG"] = "1";
  ASSERT_EQ(slurm_spank_user_init(fake_spank::handle(), 0, nullptr), 0);
  std::map<std::string, std::string> env0, env1;
  ASSERT_EQ(task(0, &env0), 0) << (world().errors.empty() ? "" : world().errors.back());
  ASSERT_EQ(task(1, &env1), 0);
  EXPECT_EQ(env0["NEURON_RT_VISIBLE_CORES"], "0-63");
  EXPECT_EQ(env1["NEURON_RT_VISIBLE_CORES"], "64-127");
  EXPECT_EQ(env1["NEURON_LOGICAL_NC_CONFIG"], "1");
}

// A job value that is not 1 or 2, that contradicts --neuron-lnc, or that is more than 1 on trn1
// fails the step with one `neuron: error: key = value: fix` line.
TEST_F(Dispatch, JobsOwnLncThatCannotBeHonouredFailsTheStep) {
  struct Case {
    const char* node;
    const char* value;
    const char* option;  // --neuron-lnc, or nullptr
    const char* error;
  };
  const Case cases[] = {
      {"trn2-st-trn2-1", "4", nullptr, "neuron: error: NEURON_LOGICAL_NC_CONFIG = 4: must be 1 or 2"},
      {"trn2-st-trn2-1", "1", "2",
       "neuron: error: NEURON_LOGICAL_NC_CONFIG = 1: contradicts --neuron-lnc=2 (the task would run with 1)"},
      {"trn1-st-trn1-1", "2", nullptr,
       "neuron: error: NEURON_LOGICAL_NC_CONFIG = 2: logical NeuronCore config applies only to trn2 and trn3; node "
       "trn1-st-trn1-1 is trn1: unset it"},
  };
  for (const Case& c : cases) {
    slurm_spank_exit(fake_spank::handle(), 0, nullptr);
    fake_spank::reset();
    ASSERT_EQ(init(), 0);
    remote_step(c.node, 2);
    world().env["NEURON_LOGICAL_NC_CONFIG"] = c.value;
    if (c.option) {
      ASSERT_EQ(fake_spank::give_option("neuron-lnc", c.option, 1), 0);
    }
    ASSERT_EQ(slurm_spank_user_init(fake_spank::handle(), 0, nullptr), 0);
    std::map<std::string, std::string> env;
    EXPECT_EQ(task(0, &env), -1) << c.value;
    EXPECT_EQ(task(1, &env), -1) << c.value;
    ASSERT_EQ(world().errors.size(), 1u) << c.value;
    EXPECT_EQ(world().errors[0].rfind(c.error, 0), 0u) << world().errors[0];
  }
  // 1 on trn1 is what the node is: placed as without it.
  slurm_spank_exit(fake_spank::handle(), 0, nullptr);
  fake_spank::reset();
  ASSERT_EQ(init(), 0);
  remote_step("trn1-st-trn1-1", 2);
  world().env["NEURON_LOGICAL_NC_CONFIG"] = "1";
  ASSERT_EQ(slurm_spank_user_init(fake_spank::handle(), 0, nullptr), 0);
  std::map<std::string, std::string> env;
  EXPECT_EQ(task(1, &env), 0);
  EXPECT_EQ(env["NEURON_RT_VISIBLE_CORES"], "16-31");
  EXPECT_TRUE(world().errors.empty());
}

// Trn3 (defect 3): LNC applies, and the cores fallback knows Trainium3 (8 per device)
// when the driver's layout shows no core_count.
TEST_F(Dispatch, Trn3ServerGetsLncAndItsCores) {
  spank_test::make_node(dir + "/nodes/trn3-st-trn3-1", "trn3-gen2", 4, 8, 4, /*sysfs=*/false);
  spank_test::write_file(dir + "/nodes/trn3-st-trn3-1/etc/hosts", "127.0.0.4 trn3-st-trn3-1\n");
  int rc = 0;
  auto envs = node_step("trn3-st-trn3-1", 0, 2, {}, &rc);
  ASSERT_EQ(rc, 0) << (world().errors.empty() ? "" : world().errors.back());
  EXPECT_EQ(envs[0]["NEURON_RT_VISIBLE_CORES"], "0-7");  // 32 physical cores at LNC 2: 16 logical
  EXPECT_EQ(envs[1]["NEURON_RT_VISIBLE_CORES"], "8-15");
  EXPECT_EQ(envs[1]["NEURON_LOGICAL_NC_CONFIG"], "2");
  envs = node_step("trn3-st-trn3-1", 0, 2, {{"neuron-lnc", "1"}}, &rc);
  ASSERT_EQ(rc, 0);
  EXPECT_EQ(envs[1]["NEURON_RT_VISIBLE_CORES"], "16-31");
}

TEST_F(Dispatch, SpecialStepsAreSkipped) {
  ASSERT_EQ(init(), 0);
  for (uint32_t step : {SLURM_BATCH_SCRIPT, SLURM_EXTERN_CONT, SLURM_INTERACTIVE_STEP}) {
    remote_step("trn1-st-trn1-1", 1, step);
    ASSERT_EQ(fake_spank::give_option("neuron-lnc", "2", 1), 0);  // would fail on trn1
    ASSERT_EQ(slurm_spank_user_init(fake_spank::handle(), 0, nullptr), 0);
    std::map<std::string, std::string> env;
    EXPECT_EQ(task(0, &env), 0);
    EXPECT_EQ(env.count("NEURON_RT_VISIBLE_CORES"), 0u);
  }
}

TEST_F(Dispatch, SetenvFailureIsReported) {
  ASSERT_EQ(init(), 0);
  remote_step("trn1-st-trn1-1", 1);
  ASSERT_EQ(slurm_spank_user_init(fake_spank::handle(), 0, nullptr), 0);
  world().setenv_fail = 1;
  std::map<std::string, std::string> env;
  EXPECT_EQ(task(0, &env), -1);
  ASSERT_FALSE(world().errors.empty());
  EXPECT_NE(world().errors[0].find("cannot set NEURON_RT_VISIBLE_CORES"), std::string::npos);
}

TEST_F(Dispatch, MissingItemsFailTheStepCleanly) {
  ASSERT_EQ(init(), 0);
  world().context = S_CTX_REMOTE;  // no items at all
  ASSERT_EQ(slurm_spank_user_init(fake_spank::handle(), 0, nullptr), 0);
  world().items[S_TASK_ID] = 0;
  EXPECT_EQ(slurm_spank_task_init(fake_spank::handle(), 0, nullptr), -1);
  ASSERT_FALSE(world().errors.empty());
  EXPECT_NE(world().errors[0].find("cannot read the step's ids"), std::string::npos);
}

// Bug D: every node of a multi-node step reads its own device tree (node ids 1 and
// 2 here, not only 0), and every node points NEURON_RT_ROOT_COMM_ID at the step's
// FIRST node with the same port.
TEST_F(Dispatch, EachNodeOfAStepGetsItsOwnDevicesAndTheFirstNodesRootComm) {
  const std::string list = "trn1-st-trn1-[1-2],trn2-st-trn2-1";
  const std::string comm = "127.0.0.1:" + std::to_string(trn::step_port(1234, 0, trn::kDefaultRootCommPorts));
  struct Want {
    const char* cores[2];
    std::string lnc, fi_provider;
  } want[] = {{{"0-15", "16-31"}, kUnset, "efa"},   // trn1-st-trn1-1: 32 cores, EFA
              {{"0-7", "8-15"}, kUnset, kUnset},    // trn1-st-trn1-2: 16 cores, no EFA
              {{"0-31", "32-63"}, "2", "efa"}};     // trn2-st-trn2-1: 64 logical cores at LNC 2
  for (uint32_t node = 0; node < 3; ++node) {
    SCOPED_TRACE("node id " + std::to_string(node));
    int rc = 0;
    auto envs = node_step(list, node, 2, {{"neuron-verbose", nullptr}}, &rc);
    ASSERT_EQ(rc, 0) << (world().errors.empty() ? "" : world().errors.back());
    for (int t = 0; t < 2; ++t) {
      auto& env = envs[t];
      EXPECT_EQ(env["NEURON_RT_VISIBLE_CORES"], want[node].cores[t]) << "task " << t;
      EXPECT_EQ(value_of(env, "NEURON_LOGICAL_NC_CONFIG"), want[node].lnc) << "task " << t;
      EXPECT_EQ(value_of(env, "FI_PROVIDER"), want[node].fi_provider) << "task " << t;
      EXPECT_EQ(env["NEURON_RT_ROOT_COMM_ID"], comm) << "task " << t;
    }
    const char* names[] = {"trn1-st-trn1-1", "trn1-st-trn1-2", "trn2-st-trn2-1"};
    ASSERT_EQ(world().spank_logs.size(), 2u);
    EXPECT_NE(world().spank_logs[1].find(std::string("(local 1) on ") + names[node] + ":"), std::string::npos)
        << world().spank_logs[1];
  }
}

// A request only some nodes can honour fails on exactly those nodes, naming them.
TEST_F(Dispatch, OnlyTheNodeThatCannotHonourARequestFails) {
  const std::string list = "trn2-st-trn2-1,trn1-st-trn1-[1-2]";
  int rc = 0;
  auto envs = node_step(list, 0, 1, {{"neuron-lnc", "2"}}, &rc);
  EXPECT_EQ(rc, 0);
  EXPECT_EQ(envs[0]["NEURON_LOGICAL_NC_CONFIG"], "2");
  EXPECT_EQ(envs[0]["NEURON_RT_ROOT_COMM_ID"].rfind("127.0.0.2:", 0), 0u);
  EXPECT_TRUE(world().errors.empty());
  for (uint32_t node : {1u, 2u}) {
    envs = node_step(list, node, 1, {{"neuron-lnc", "2"}}, &rc);
    EXPECT_EQ(rc, -1) << "node id " << node;
    ASSERT_EQ(world().errors.size(), 1u);
    EXPECT_EQ(world().errors[0], "neuron: error: --neuron-lnc = 2: logical NeuronCore config applies only to trn2 and trn3; node " +
                                     std::string(node == 1 ? "trn1-st-trn1-1" : "trn1-st-trn1-2") +
                                     " is trn1 (drop --neuron-lnc there)");
  }
}

TEST_F(Dispatch, NodeIdPastTheNodeListFailsTheStep) {
  int rc = 0;
  node_step("trn1-st-trn1-[1-2]", 2, 1, {}, &rc);
  EXPECT_EQ(rc, -1);
  ASSERT_EQ(world().errors.size(), 1u);
  EXPECT_EQ(world().errors[0],
            "neuron: error: SLURM_STEP_NODELIST = trn1-st-trn1-[1-2]: names 2 nodes, but Slurm says this is node 2");
}

}  // namespace
