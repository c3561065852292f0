// The plugin's real SPANK entry points driven through the fake SPANK API
// (tests/unit/fake_spank.cc): contexts, option registration and validation,
// special steps, per-task environment, user values winning, error reporting.
#include <gtest/gtest.h>

#include <string>
#include <vector>

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

class Dispatch : public ::testing::Test {
 protected:
  void SetUp() override {
    fake_spank::reset();
    dir = spank_test::make_temp_dir();
    spank_test::make_node(dir + "/nodes/trn1-st-trn1-1", "trn1.32xlarge", 16, 2, 8);
    spank_test::make_node(dir + "/nodes/trn2-st-trn2-1", "trn2.48xlarge", 16, 8, 16);
    spank_test::write_file(dir + "/nodes/trn1-st-trn1-1/etc/hosts", "127.0.0.1 trn1-st-trn1-1\n");
    spank_test::write_file(dir + "/nodes/trn2-st-trn2-1/etc/hosts", "127.0.0.2 trn2-st-trn2-1\n");
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

  // A remote step on `node` with `tasks` local tasks, job 1234 step `step`.
  void remote_step(const std::string& node, int tasks, uint32_t step = 0) {
    world().context = S_CTX_REMOTE;
    world().items[S_JOB_ID] = 1234;
    world().items[S_JOB_STEPID] = step;
    world().items[S_JOB_NODEID] = 0;
    world().items[S_JOB_LOCAL_TASK_COUNT] = tasks;
    world().env["SLURM_STEP_NODELIST"] = node;
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
  EXPECT_NE(world().errors[0].find("neuron: plugstack argument 'colour=blue'"), std::string::npos);
  world().context = S_CTX_SLURMD;
  EXPECT_EQ(init({"colour=blue"}), 0);
}

TEST_F(Dispatch, BadOptionFailsLocallyWithOneMessage) {
  world().context = S_CTX_LOCAL;
  ASSERT_EQ(init(), 0);
  EXPECT_EQ(fake_spank::give_option("neuron-cores", "abc", 0), -1);
  ASSERT_EQ(world().errors.size(), 1u);
  EXPECT_NE(world().errors[0].find("--neuron-cores=abc"), std::string::npos);
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
  EXPECT_EQ(comm.rfind("127.0.0.1:46", 0), 0u) << comm;
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
  EXPECT_NE(world().errors[0].find("--neuron-lnc=2"), std::string::npos);
  EXPECT_EQ(env.count("NEURON_RT_VISIBLE_CORES"), 0u);
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

}  // namespace
