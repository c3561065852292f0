// Job and step ids name the log folder (launch.log_dir/<job>/...): the launch
// environment's one reader (common/launch_env.h) accepts only plain names, for every
// launcher, so no value can put the folder elsewhere or make logs//.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/launch_env.h"

namespace trn {
namespace {

EnvMap slurm_task(const std::string& job) {
  return {{"SLURM_JOB_ID", job},          {"SLURM_STEP_ID", "0"},       {"SLURM_STEP_NODELIST", "n1"},
          {"SLURM_STEP_NUM_NODES", "1"},  {"SLURM_STEP_NUM_TASKS", "1"}, {"SLURM_NODEID", "0"},
          {"SLURM_PROCID", "0"},          {"SLURM_LOCALID", "0"},        {"SLURM_RESTART_COUNT", "0"}};
}

// The problems read_launch_env reports for `env`, as "KEY = value: fix" lines.
std::string problems_of(const EnvMap& env, LaunchEnv* le = nullptr) {
  LaunchEnv out;
  Problems problems;
  read_launch_env(env, std::nullopt, le ? le : &out, &problems);
  std::string text;
  for (const auto& p : problems) text += p.key + " = " + p.value + ": " + p.fix + "\n";
  return text;
}

TEST(LaunchEnvIds, SlurmJobIdIsANumber) {
  LaunchEnv le;
  EXPECT_EQ(problems_of(slurm_task("4242"), &le), "");
  EXPECT_EQ(le.job_id, "4242");
  for (const std::string bad : {"", "../../etc", "..", "12/34", "12 ", "4242_7", "-1"}) {
    const std::string why = problems_of(slurm_task(bad));
    EXPECT_NE(why.find("SLURM_JOB_ID = " + bad + ": must be Slurm's numeric id"), std::string::npos)
        << "'" << bad << "': " << why;
  }
  EnvMap step = slurm_task("4242");
  step["SLURM_STEP_ID"] = "0/../..";
  EXPECT_NE(problems_of(step).find("SLURM_STEP_ID = 0/../..: must be Slurm's numeric id"), std::string::npos);
}

// The batch script itself (no step), Open MPI inside an allocation: the same rule.
TEST(LaunchEnvIds, EveryReaderOfSlurmJobIdChecksIt) {
  EXPECT_NE(problems_of({{"SLURM_JOB_ID", "../x"}}).find("SLURM_JOB_ID = ../x"), std::string::npos);
  const EnvMap ompi{{"OMPI_COMM_WORLD_RANK", "0"}, {"OMPI_COMM_WORLD_SIZE", "1"}, {"OMPI_COMM_WORLD_LOCAL_SIZE", "1"},
                    {"OMPI_COMM_WORLD_LOCAL_RANK", "0"}, {"SLURM_JOB_ID", ""}, {"SLURM_JOB_NODELIST", "n1"}};
  EXPECT_NE(problems_of(ompi).find("SLURM_JOB_ID = : must be"), std::string::npos) << problems_of(ompi);
}

// Other launchers' run ids are names: letters, digits, . _ - : @ +, never "." or "..".
TEST(LaunchEnvIds, OtherLaunchersRunIdsArePlainNames) {
  LaunchEnv le;
  const EnvMap torchrun{{"MASTER_ADDR", "h"}, {"NODE_RANK", "0"}, {"TORCHELASTIC_RUN_ID", "run-1.a_b:2@h+"}};
  EXPECT_EQ(problems_of(torchrun, &le), "");
  EXPECT_EQ(le.job_id, "run-1.a_b:2@h+");
  for (const std::string& bad : std::vector<std::string>{"..", ".", "", "a/b", "a b", std::string(129, 'x')}) {
    EnvMap env = torchrun;
    env["TORCHELASTIC_RUN_ID"] = bad;
    EXPECT_NE(problems_of(env).find("TORCHELASTIC_RUN_ID = " + bad + ": names the log folder"), std::string::npos)
        << "'" << bad << "'";
  }
  EXPECT_NE(problems_of({{"TRN_TRAIN_JOB_ID", "../up"}}).find("TRN_TRAIN_JOB_ID = ../up"), std::string::npos);
  const EnvMap batch{{"AWS_BATCH_JOB_NODE_INDEX", "0"}, {"AWS_BATCH_JOB_NUM_NODES", "1"},
                     {"AWS_BATCH_JOB_ID", "../x#0"}};
  EXPECT_NE(problems_of(batch).find("AWS_BATCH_JOB_ID = ../x:"), std::string::npos) << problems_of(batch);
  EnvMap good_batch = batch;
  good_batch["AWS_BATCH_JOB_ID"] = "0a1b-2c#0";
  EXPECT_EQ(problems_of(good_batch, &le), "");
  EXPECT_EQ(le.job_id, "0a1b-2c");
}

}  // namespace
}  // namespace trn
