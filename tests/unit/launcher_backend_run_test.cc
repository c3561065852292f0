// issue 9, B1 and B3: what the nxdt backend gets under simulated Slurm tasks.
//  - B1: the experiment/checkpoint location (exp_manager.* arguments and
//    NEMO_EXPM_VERSION) is the same on node 0 and node 15 and for restart 0 and 1;
//    only the console-log folder is per node and per restart.
//  - B3: NEURON_CC_FLAGS as a worker finally sees it, after training_orchestrator.py's
//    own additions (replayed below from its set_env_variable rules), has no flag twice.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <sstream>
#include <string>

#include "launcher/errors.h"
#include "launcher/plan/plan.h"

namespace trn {
namespace {

// The environment of task `node` of a `sbatch -N nodes --wrap "srun trn-train"` job.
EnvMap slurm_task(int nodes, int node, int restart, const std::string& job = "777") {
  const std::string n = std::to_string(nodes);
  return {{"SLURM_JOB_ID", job},
          {"SLURM_STEP_ID", "0"},
          {"SLURM_JOB_NODELIST", "trn1-st-trn1-[1-" + n + "]"},
          {"SLURM_STEP_NODELIST", "trn1-st-trn1-[1-" + n + "]"},
          {"SLURM_STEP_NUM_NODES", n},
          {"SLURM_NNODES", n},
          {"SLURM_STEP_TASKS_PER_NODE", "1(x" + n + ")"},
          {"SLURM_STEP_NUM_TASKS", n},
          {"SLURM_NTASKS", n},
          {"SLURM_NODEID", std::to_string(node)},
          {"SLURM_PROCID", std::to_string(node)},
          {"SLURM_LOCALID", "0"},
          {"SLURM_RESTART_COUNT", std::to_string(restart)}};
}

Plan plan_for(const std::string& conf, const EnvMap& env, const std::vector<std::string>& overrides = {},
              bool compile = false) {
  PlanInputs in;
  in.config = load_config(conf, overrides, in.site);
  in.catalog = load_instance_catalog("conf/instances.yaml");
  in.env = env;
  in.launch = detect_launch_env(env, std::nullopt);
  in.compile = compile;
  in.bindir = "/opt/bin";
  in.resolve = [](const std::string&) { return std::string("10.0.0.1"); };
  return make_plan(in);
}

// Where NxDT puts the experiment: every exp_manager.* argument and NEMO_EXPM_VERSION.
std::string experiment_location(const Plan& p) {
  std::string where;
  for (const auto& a : p.command)
    if (a.rfind("exp_manager.", 0) == 0) where += a + " ";
  auto v = p.env.find("NEMO_EXPM_VERSION");
  return where + "NEMO_EXPM_VERSION=" + (v == p.env.end() ? "(unset)" : v->second);
}

TEST(ExperimentLocation, SameOnEveryNodeAndRestart) {
  const std::string conf = "conf/hf_llama3_70B_config.yaml";
  const Plan first = plan_for(conf, slurm_task(16, 0, 0));
  EXPECT_EQ(experiment_location(first), "exp_manager.explicit_log_dir=null NEMO_EXPM_VERSION=777");
  for (int node : {0, 15}) {
    for (int restart : {0, 1}) {
      const Plan p = plan_for(conf, slurm_task(16, node, restart));
      EXPECT_EQ(experiment_location(p), experiment_location(first)) << "node " << node << " restart " << restart;
      // The per-node, per-restart folder is the console log's, and the backend is not told about it.
      EXPECT_EQ(p.log_dir, "logs/777/" + std::to_string(restart) + "/" + std::to_string(node) + "/");
      for (const auto& a : p.command) EXPECT_EQ(a.find(p.log_dir), std::string::npos) << a;
    }
  }
}

TEST(ExperimentLocation, AFolderTheUserNamesIsKept) {
  const Plan p = plan_for("conf/hf_llama3_70B_config.yaml", slurm_task(16, 3, 1),
                          {"exp_manager.explicit_log_dir=/fsx/exp"});
  EXPECT_EQ(experiment_location(p), "exp_manager.explicit_log_dir=/fsx/exp NEMO_EXPM_VERSION=777");
}

// training_orchestrator.py's set_env_variable(name, value, append=True): appends with a
// space when the variable is set and non-empty, else sets it when it is unset.
void orchestrator_append(std::map<std::string, std::string>* env, const std::string& value) {
  auto it = env->find("NEURON_CC_FLAGS");
  if (it != env->end() && !it->second.empty()) {
    it->second += " " + value;
  } else if (it == env->end()) {
    (*env)["NEURON_CC_FLAGS"] = value;
  }
}

// What the orchestrator adds to NEURON_CC_FLAGS for a config: compiler_flags, then
// the precision type's flags (its precision table).
std::map<std::string, std::string> worker_env(const Plan& p, const std::string& compiler_flags,
                                              const std::string& precision) {
  std::map<std::string, std::string> env = p.env;
  orchestrator_append(&env, compiler_flags);
  static const std::map<std::string, std::string> kPrecisionFlags{
      {"bf16SR", "--enable-mixed-precision-accumulation"},
      {"mixed_precision", "--enable-mixed-precision-accumulation"},
      {"mixed_precision_SR", "--enable-mixed-precision-accumulation"},
      {"fp32", "--auto-cast none"},
      {"autocast", "--enable-mixed-precision-accumulation --auto-cast none"}};
  if (auto f = kPrecisionFlags.find(precision); f != kPrecisionFlags.end()) orchestrator_append(&env, f->second);
  return env;
}

// Flags as the compiler parses them: "--x", "--x=v" and "--x v" are one flag each.
std::vector<std::string> flag_names(const std::string& flags) {
  std::vector<std::string> names;
  std::istringstream words(flags);
  for (std::string w; words >> w;)
    if (w.rfind("-", 0) == 0) names.push_back(w.substr(0, w.find('=')));
  return names;
}

void expect_no_flag_twice(const std::string& flags, const std::string& what) {
  std::set<std::string> seen;
  for (const auto& f : flag_names(flags)) EXPECT_TRUE(seen.insert(f).second) << what << ": " << f << " twice in " << flags;
}

TEST(NeuronCcFlags, NxdtWorkerSeesEachFlagOnce) {
  struct Case {
    const char* conf;
    int nodes;
    const char* lnc_flag;  // what trn-train adds besides --cache_dir
  } cases[] = {{"conf/hf_llama3_70B_config.yaml", 16, nullptr},
               {"conf/hf_llama3_70B_trn2_config.yaml", 8, "--lnc=2"},
               {"conf/hf_llama3_8B_config.yaml", 4, nullptr}};
  for (const auto& c : cases) {
    for (bool compile : {false, true}) {
      const Plan p = plan_for(c.conf, slurm_task(c.nodes, c.nodes - 1, 0), {"launch.instance=" +
                              std::string(c.lnc_flag ? "trn2.48xlarge" : "trn1.32xlarge")}, compile);
      const std::string ours = p.env.count("NEURON_CC_FLAGS") ? p.env.at("NEURON_CC_FLAGS") : "";
      // trn-train leaves compiler_flags and the precision flags to the orchestrator.
      EXPECT_EQ(ours.find("--model-type"), std::string::npos) << c.conf << ": " << ours;
      EXPECT_EQ(ours.find("--enable-mixed-precision-accumulation"), std::string::npos) << c.conf << ": " << ours;
      if (c.lnc_flag) {
        EXPECT_NE(ours.find(c.lnc_flag), std::string::npos) << c.conf << ": " << ours;
      }
      const auto env = worker_env(p, "--model-type transformer", "mixed_precision");
      const std::string seen = env.at("NEURON_CC_FLAGS");
      expect_no_flag_twice(seen, c.conf);
      EXPECT_NE(seen.find("--model-type transformer --enable-mixed-precision-accumulation"), std::string::npos) << seen;
    }
  }
}

// Without an orchestrator (torchneuron) trn-train adds everything itself, once.
TEST(NeuronCcFlags, TorchNeuronGetsEverythingFromUs) {
  const Plan p = plan_for("conf/hf_llama3_70B_trn2_config.yaml", slurm_task(8, 0, 0), {"launch.backend=torchneuron"});
  const std::string flags = p.env.at("NEURON_CC_FLAGS");
  EXPECT_NE(flags.find("--model-type transformer"), std::string::npos) << flags;
  EXPECT_NE(flags.find("--enable-mixed-precision-accumulation"), std::string::npos) << flags;
  expect_no_flag_twice(flags, "torchneuron");
}

}  // namespace
}  // namespace trn
