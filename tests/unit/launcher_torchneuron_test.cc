// The torchneuron backend (issue 19, defects 1 and 6, "What to build" 3): one core per
// torchrun worker chosen by its local rank (trn-train worker), TorchTitan's TOML degrees
// validated against the world, refused off Trn2/Trn3, submit chains no compile job for
// it and warns only the native trainer before the time limit, and the warm-cache advice
// names what warms a TorchNeuron cache. The golden: argv and the environment a worker
// finally sees for the per-node layout (srun one task per node -> plugin range ->
// trn-train run -> torchrun -> trn-train worker).
#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "launcher/commands/submit_command.h"
#include "launcher/commands/worker_command.h"
#include "launcher/errors.h"
#include "launcher/neuron/warm_cache.h"
#include "launcher/plan/plan.h"
#include "launcher/plan/torchtitan_config.h"
#include "tests/unit/temp_dir.h"

namespace trn {
namespace {

using test::TempDir;

const char* kConf = "conf/torchtitan_llama3_8B_trn2.yaml";

// srun's one task per node of a 2-node trn2 job, with what the plugin adds at LNC 2.
EnvMap trn2_task(int node) {
  return {{"SLURM_JOB_ID", "4242"},
          {"SLURM_STEP_ID", "0"},
          {"SLURM_JOB_NODELIST", "trn2-st-trn2-[1-2]"},
          {"SLURM_STEP_NODELIST", "trn2-st-trn2-[1-2]"},
          {"SLURM_STEP_NUM_NODES", "2"},
          {"SLURM_NNODES", "2"},
          {"SLURM_STEP_TASKS_PER_NODE", "1(x2)"},
          {"SLURM_STEP_NUM_TASKS", "2"},
          {"SLURM_NTASKS", "2"},
          {"SLURM_NODEID", std::to_string(node)},
          {"SLURM_PROCID", std::to_string(node)},
          {"SLURM_LOCALID", "0"},
          {"SLURM_RESTART_COUNT", "0"},
          {"NEURON_RT_VISIBLE_CORES", "0-63"},
          {"NEURON_LOGICAL_NC_CONFIG", "2"}};
}

Plan plan_of(const std::string& conf, const EnvMap& env, const std::vector<std::string>& overrides,
             std::optional<int> nodes = std::nullopt, bool compile = false) {
  PlanInputs in;
  in.config = load_config(conf, overrides, in.site);
  in.catalog = load_instance_catalog("conf/instances.yaml");
  in.env = env;
  in.launch = detect_launch_env(env, nodes);
  in.compile = compile;
  in.bindir = "/opt/bin";
  in.resolve = [](const std::string&) { return std::string("10.0.0.1"); };
  return make_plan(in);
}

Problems plan_problems(const std::string& conf, const std::vector<std::string>& overrides, int nodes = 2,
                       bool compile = false) {
  try {
    plan_of(conf, {}, overrides, nodes, compile);
  } catch (const InputError& e) {
    return e.problems();
  }
  return {};
}

bool has_key(const Problems& ps, const std::string& key) {
  for (const auto& p : ps)
    if (p.key == key) return true;
  return false;
}

std::string all_text(const Problems& ps) {
  std::string s;
  for (const auto& p : ps) s += p.str() + "\n";
  return s;
}

// ---- the core each worker gets (pure) ----------------------------------------------

std::optional<int> core_of(const std::string& visible, int local_rank, int local_world, Problems* ps) {
  EnvMap env{{"LOCAL_RANK", std::to_string(local_rank)}, {"LOCAL_WORLD_SIZE", std::to_string(local_world)}};
  if (!visible.empty()) env["NEURON_RT_VISIBLE_CORES"] = visible;
  return worker_core(env, ps);
}

TEST(WorkerCore, LocalRankPicksOneCoreOfTheTaskRange) {
  Problems ps;
  EXPECT_EQ(core_of("0-63", 0, 64, &ps), 0);
  EXPECT_EQ(core_of("0-63", 37, 64, &ps), 37);
  EXPECT_EQ(core_of("64-127", 5, 64, &ps), 69);  // a task placed on the second half of a node
  EXPECT_EQ(core_of("0-1,4-5", 2, 4, &ps), 4);    // a list: the LOCAL_RANK-th core, in order
  EXPECT_EQ(core_of("7", 0, 1, &ps), 7);
  EXPECT_EQ(core_of("", 12, 64, &ps), 12);        // no plugin: the node's cores 0..P-1
  EXPECT_TRUE(ps.empty()) << all_text(ps);
}

TEST(WorkerCore, RangeThatIsNotOneCorePerWorkerIsRefused) {
  Problems ps;
  EXPECT_EQ(core_of("0-127", 3, 64, &ps), std::nullopt);  // e.g. the plugin placed at LNC 1
  ASSERT_EQ(ps.size(), 1u);
  EXPECT_EQ(ps[0].key, "NEURON_RT_VISIBLE_CORES");
  EXPECT_NE(ps[0].value.find("128 cores for LOCAL_WORLD_SIZE = 64"), std::string::npos) << ps[0].str();
  EXPECT_NE(ps[0].fix.find("srun --ntasks-per-node=1"), std::string::npos) << ps[0].str();
  ps.clear();
  EXPECT_EQ(core_of("0-x", 0, 64, &ps), std::nullopt);
  EXPECT_TRUE(has_key(ps, "NEURON_RT_VISIBLE_CORES"));
  ps.clear();
  EXPECT_EQ(worker_core({{"NEURON_RT_VISIBLE_CORES", "0-63"}}, &ps), std::nullopt);  // not under torchrun
  EXPECT_TRUE(has_key(ps, "LOCAL_RANK")) << all_text(ps);
  EXPECT_TRUE(has_key(ps, "LOCAL_WORLD_SIZE")) << all_text(ps);
}

TEST(WorkerCommand, NoCommandIsExit2) { EXPECT_EQ(worker_command({"--"}), 2); }

// ---- argv and the environment a worker finally sees (per-node layout) --------------

// torchrun's per-worker variables (pytorch.org/docs/stable/elastic/run.html), then
// `trn-train worker`'s choice: what worker `local` of node `node` sees.
EnvMap worker_sees(const Plan& p, const EnvMap& task, int local) {
  EnvMap env = task;
  for (const auto& [k, v] : p.env) env[k] = v;  // run: setenv, overwrite
  env["LOCAL_RANK"] = std::to_string(local);
  env["RANK"] = std::to_string(p.node_rank * p.procs_per_node + local);
  env["GROUP_RANK"] = std::to_string(p.node_rank);
  env["LOCAL_WORLD_SIZE"] = std::to_string(p.procs_per_node);
  env["WORLD_SIZE"] = std::to_string(p.world_size);
  env["TORCHELASTIC_RUN_ID"] = "none";
  Problems ps;
  const auto core = worker_core(env, &ps);
  EXPECT_TRUE(core) << all_text(ps);
  if (core) env["NEURON_RT_VISIBLE_CORES"] = std::to_string(*core);
  return env;
}

TEST(TorchNeuronGolden, TorchTitanPerNodeArgvAndWorkerEnv) {
  const EnvMap task = trn2_task(1);
  const Plan p = plan_of(kConf, task, {});
  const std::string toml = p.config_path.substr(0, p.config_path.rfind('/')) + "/torchtitan_llama3_8B_trn2.toml";
  EXPECT_EQ(p.command, (std::vector<std::string>{"torchrun", "--nproc_per_node", "64", "--nnodes", "2", "--node_rank",
                                                 "1", "--master_addr", "10.0.0.1", "--master_port",
                                                 std::to_string(p.master_port), "--no-python", "/opt/bin/trn-train",
                                                 "worker", "python3", "-m", "torchtitan.train", "--job.config_file",
                                                 toml}));
  EXPECT_EQ(p.world_size, 128);
  std::set<std::string> cores;
  for (int local = 0; local < 64; ++local) {
    const EnvMap seen = worker_sees(p, task, local);
    cores.insert(seen.at("NEURON_RT_VISIBLE_CORES"));
    EXPECT_EQ(seen.at("NEURON_RT_VISIBLE_CORES"), std::to_string(local));
    EXPECT_EQ(seen.at("NEURON_LOGICAL_NC_CONFIG"), "2");  // one owner: the plan (trainer.lnc)
    EXPECT_EQ(seen.at("RANK"), std::to_string(64 + local));
    EXPECT_EQ(seen.at("MASTER_ADDR"), "10.0.0.1");
    EXPECT_EQ(seen.at("NEURON_CC_FLAGS"), "--lnc=2");
    EXPECT_EQ(seen.count("XLA_USE_BF16"), 0u);
  }
  EXPECT_EQ(cores.size(), 64u) << "every worker a distinct core";
}

TEST(TorchNeuronGolden, UserScriptPerNodeArgv) {
  const Plan p = plan_of(kConf, trn2_task(0), {"~launch.torchtitan_config", "launch.script=train_llama.py",
                                               "+data.global_batch_size=128"});
  EXPECT_EQ(p.command, (std::vector<std::string>{"torchrun", "--nproc_per_node", "64", "--nnodes", "2", "--node_rank",
                                                 "0", "--master_addr", "10.0.0.1", "--master_port",
                                                 std::to_string(p.master_port), "--no-python", "/opt/bin/trn-train",
                                                 "worker", "python3", "train_llama.py", "--config", p.config_path,
                                                 "+data.global_batch_size=128"}));
}

// One Slurm task per worker (srun --ntasks-per-node=64): each process keeps the plugin's
// one core, and without the plugin gets its local rank's, never the node's whole range.
EnvMap trn2_worker_task(int local, bool plugin) {
  EnvMap e = trn2_task(0);
  e["SLURM_STEP_TASKS_PER_NODE"] = "64(x2)";
  e["SLURM_STEP_NUM_TASKS"] = e["SLURM_NTASKS"] = "128";
  e["SLURM_PROCID"] = e["SLURM_LOCALID"] = std::to_string(local);
  if (plugin) {
    e["NEURON_RT_VISIBLE_CORES"] = std::to_string(local);
  } else {
    e.erase("NEURON_RT_VISIBLE_CORES");
  }
  return e;
}

TEST(TorchNeuronPerWorker, EveryProcessSeesOneCore) {
  for (bool plugin : {true, false}) {
    const Plan p = plan_of(kConf, trn2_worker_task(5, plugin), {});
    EXPECT_EQ(p.launch_pattern, LaunchPattern::kPerWorker);
    EnvMap seen = trn2_worker_task(5, plugin);  // python3 <script> itself: no torchrun, no trn-train worker
    for (const auto& [k, v] : p.env) seen[k] = v;
    EXPECT_EQ(seen.at("NEURON_RT_VISIBLE_CORES"), "5") << (plugin ? "plugin" : "no plugin");
    EXPECT_EQ(seen.at("LOCAL_RANK"), "5");
  }
}

// ---- TorchTitan's TOML ---------------------------------------------------------------

TorchTitanConfig parsed(const std::string& text, Problems* ps) {
  TorchTitanConfig c;
  parse_torchtitan_config(text, "/x/job.toml", &c, ps);
  return c;
}

TEST(TorchTitanConfig, ReadsTheParallelismAndBatchKeys) {
  Problems ps;
  const TorchTitanConfig c = parsed(
      "[parallelism]\ndata_parallel_replicate_degree = 2\ndata_parallel_shard_degree = 8\n"
      "tensor_parallel_degree = 4\npipeline_parallel_degree = 2\ncontext_parallel_degree = 2\n"
      "expert_parallel_degree = 4\nexpert_tensor_parallel_degree = 1\n"
      "[training]\nlocal_batch_size = 2\nglobal_batch_size = 64\n",
      &ps);
  EXPECT_TRUE(ps.empty()) << all_text(ps);
  EXPECT_EQ(c.dp_replicate, 2);
  EXPECT_EQ(c.dp_shard, 8);
  EXPECT_EQ(c.tp, 4);
  EXPECT_EQ(c.pp, 2);
  EXPECT_EQ(c.cp, 2);
  EXPECT_EQ(c.ep, 4);
  EXPECT_EQ(c.etp, 1);
  EXPECT_EQ(c.local_batch_size, 2);
  EXPECT_EQ(c.global_batch_size, 64);
  const TorchTitanConfig d = parsed("[job]\ndump_folder = \"x\"\n", &ps);  // TorchTitan's defaults
  EXPECT_EQ(d.dp_shard, -1);
  EXPECT_EQ(d.tp, 1);
  EXPECT_EQ(d.local_batch_size, 8);
  EXPECT_EQ(d.global_batch_size, -1);
}

TEST(TorchTitanConfig, BadValuesNameTheFileAndKey) {
  Problems ps;
  parsed("[parallelism]\ntensor_parallel_degree = \"4\"\npipeline_parallel_degree = -1\n", &ps);
  ASSERT_EQ(ps.size(), 2u) << all_text(ps);
  EXPECT_EQ(ps[0].key, "/x/job.toml: parallelism.tensor_parallel_degree");
  EXPECT_EQ(ps[1].key, "/x/job.toml: parallelism.pipeline_parallel_degree");  // only dp_shard may be -1
  ps.clear();
  parsed("[parallelism\n", &ps);
  ASSERT_EQ(ps.size(), 1u);
  EXPECT_EQ(ps[0].key, "/x/job.toml");
  EXPECT_NE(ps[0].fix.find("not valid TOML"), std::string::npos);
}

// Inputs on which Debian's toml++ 3.3.0 asserts or reaches __builtin_unreachable()
// (found by tests/fuzz/fuzz_torchtitan_config) are Problems, not an abort or UB.
TEST(TorchTitanConfig, InputsTomlPlusPlusMishandlesAreProblems) {
  for (const std::string& text : {std::string("[# T"), std::string("K_r\xd1\x91*\0 `\0\0", 11),
                                 std::string("# caf\xc3\xa9\n[parallelism]\ntensor_parallel_degree = 2\n")}) {
    Problems ps;
    TorchTitanConfig c;
    EXPECT_FALSE(parse_torchtitan_config(text, "/x/job.toml", &c, &ps));
    ASSERT_EQ(ps.size(), 1u) << all_text(ps);
    EXPECT_EQ(ps[0].key, "/x/job.toml");
  }
}

TEST(TorchTitanConfig, DegreesAgainstTheWorld) {
  auto check = [](const std::string& text, long long nodes, long long procs) {
    Problems ps;
    const TorchTitanConfig c = parsed(text, &ps);
    EXPECT_TRUE(ps.empty()) << all_text(ps);
    check_torchtitan_world(c, nodes, procs, &ps);
    return ps;
  };
  EXPECT_TRUE(check("[parallelism]\ndata_parallel_shard_degree = -1\ntensor_parallel_degree = 8\n", 2, 64).empty());
  EXPECT_TRUE(check("[parallelism]\ndata_parallel_shard_degree = 16\ntensor_parallel_degree = 8\n", 2, 64).empty());
  Problems ps = check("[parallelism]\ntensor_parallel_degree = 3\n", 2, 64);  // -1 leaves 128/3
  ASSERT_EQ(ps.size(), 1u);
  EXPECT_EQ(ps[0].key, "/x/job.toml: parallelism.data_parallel_shard_degree");
  EXPECT_NE(ps[0].fix.find("the world size 128 (2 nodes x 64 workers per node)"), std::string::npos) << ps[0].str();
  ps = check("[parallelism]\ndata_parallel_shard_degree = 8\ntensor_parallel_degree = 8\n", 2, 64);  // 64 != 128
  ASSERT_EQ(ps.size(), 1u);
  EXPECT_NE(ps[0].value.find("= 64"), std::string::npos) << ps[0].str();
  ps = check("[parallelism]\ntensor_parallel_degree = 4\nexpert_parallel_degree = 2\nexpert_tensor_parallel_degree = 2\n",
             1, 64);
  EXPECT_TRUE(has_key(ps, "/x/job.toml: parallelism.expert_tensor_parallel_degree")) << all_text(ps);
  ps = check("[training]\nlocal_batch_size = 2\nglobal_batch_size = 100\n", 1, 64);  // 100 % 128
  EXPECT_TRUE(has_key(ps, "/x/job.toml: training.global_batch_size")) << all_text(ps);
}

// The user's TOML from a trn-train config: relative to the config's folder; degrees that do
// not divide the world are exit 2 at planning, before any worker.
// `plan` shows the degrees and batch TorchTitan will use: its TOML's, not the YAML's.
TEST(TorchTitanConfig, ThePlanShowsTheTomlsDegrees) {
  TempDir dir;
  std::ofstream(dir.path + "/job.toml") << "[parallelism]\ntensor_parallel_degree = 8\npipeline_parallel_degree = 2\n"
                                           "[training]\nlocal_batch_size = 2\nglobal_batch_size = 64\n";
  std::ofstream(dir.path + "/run.yaml") << "name: t\ntrainer:\n  lnc: 2\ndistributed_strategy:\n"
                                           "  tensor_model_parallel_size: 32\nlaunch:\n  backend: torchneuron\n"
                                           "  instance: trn2.48xlarge\n  torchtitan_config: job.toml\n";
  const Plan p = plan_of(dir.path + "/run.yaml", trn2_task(0), {});
  EXPECT_EQ(p.world_size, 128);
  EXPECT_EQ(p.tp, 8);
  EXPECT_EQ(p.pp, 2);
  EXPECT_EQ(p.dp, 8);  // shard -1: 128 / (8*2)
  EXPECT_EQ(p.micro_batch_size, 2);
  EXPECT_EQ(p.global_batch_size, 64);
  EXPECT_EQ(p.num_microbatches, 4);
}

TEST(TorchTitanConfig, FromTheYamlAndRefusedAtPlanning) {
  TempDir dir;
  std::ofstream(dir.path + "/job.toml") << "[parallelism]\ntensor_parallel_degree = 3\n";
  std::ofstream(dir.path + "/run.yaml") << "name: t\ntrainer:\n  lnc: 2\nlaunch:\n  backend: torchneuron\n"
                                           "  instance: trn2.48xlarge\n  torchtitan_config: job.toml\n";
  const Problems ps = plan_problems(dir.path + "/run.yaml", {});
  EXPECT_TRUE(has_key(ps, dir.path + "/job.toml: parallelism.data_parallel_shard_degree")) << all_text(ps);
  EXPECT_TRUE(has_key(plan_problems(dir.path + "/run.yaml", {"launch.torchtitan_config=nothere.toml"}),
                      "launch.torchtitan_config"));
  EXPECT_TRUE(has_key(plan_problems(dir.path + "/run.yaml", {"launch.backend=nxdt"}), "launch.torchtitan_config"));
  EXPECT_TRUE(has_key(plan_problems(dir.path + "/run.yaml", {"launch.script=t.py"}), "launch.script"));
}

// ---- where it runs ---------------------------------------------------------------------

TEST(TorchNeuronPlatform, RefusedOnTrn1AndCpu) {
  for (const char* inst : {"trn1.32xlarge", "trn1n.32xlarge", "cpu"}) {
    const Problems ps = plan_problems(kConf, {"~trainer.lnc", std::string("launch.instance=") + inst});
    bool found = false;
    for (const auto& p : ps)
      found |= p.key == "launch.backend" && p.fix.find("Trn2 and Trn3 only") != std::string::npos;
    EXPECT_TRUE(found) << inst << ":\n" << all_text(ps);
  }
  EXPECT_TRUE(plan_problems(kConf, {}).empty());
  EXPECT_TRUE(has_key(plan_problems(kConf, {}, 2, true), "COMPILE"));  // still no COMPILE=1
}

// ---- submit ------------------------------------------------------------------------------

SubmitJobs jobs_for(const std::string& conf, const std::vector<std::string>& overrides, bool compile_only = false) {
  CommonOptions o;
  o.overrides = overrides;
  LoadedConfig cfg;
  PlanInputs in;
  in.config = load_config(conf, overrides, in.site);
  in.catalog = load_instance_catalog("conf/instances.yaml");
  in.launch = detect_launch_env({}, std::nullopt);
  const Plan p = make_plan(in);
  return submit_jobs(p, in.config, o, "/opt/bin/trn-train", compile_only, false);
}

std::string joined(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& a : v) s += a + " ";
  return s;
}

TEST(Submit, TorchNeuronTrainsAloneAndSaysWhy) {
  const SubmitJobs j = jobs_for(kConf, {});
  EXPECT_TRUE(j.compile_job.empty());
  EXPECT_FALSE(j.chained);
  const std::string train = joined(j.train_job);
  EXPECT_EQ(train.find("--dependency"), std::string::npos) << train;
  // The launcher requeues it at the time limit (issue 21): its last periodic checkpoint resumes.
  EXPECT_NE(train.find("--signal=USR1@300"), std::string::npos) << train;
  EXPECT_NE(train.find("COMPILE=0"), std::string::npos) << train;
  const auto lines = dry_run_lines(j);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].rfind("# no compile job for launch.backend = torchneuron", 0), 0u) << lines[0];
  EXPECT_THROW(jobs_for(kConf, {}, true), InputError);  // --compile-only: nothing it could run
}

// Issue 21: every train job is warned by SIGUSR1 to its steps (not the batch shell)
// before the time limit and requeues itself; no warning without requeue or with grace 0.
TEST(Submit, EveryTrainJobIsWarnedToRequeueItself) {
  const SubmitJobs nxdt = jobs_for("conf/hf_llama3_8B_config.yaml", {});
  EXPECT_FALSE(nxdt.compile_job.empty());
  EXPECT_TRUE(nxdt.chained);
  EXPECT_NE(joined(nxdt.train_job).find("--signal=USR1@300"), std::string::npos) << joined(nxdt.train_job);
  EXPECT_EQ(joined(nxdt.compile_job).find("--signal"), std::string::npos) << joined(nxdt.compile_job);
  const SubmitJobs native = jobs_for("conf/tiny_llama_native.yaml", {});
  EXPECT_NE(joined(native.train_job).find("--signal=USR1@300"), std::string::npos) << joined(native.train_job);
  EXPECT_EQ(joined(native.train_job).find("B:"), std::string::npos) << joined(native.train_job);
  EXPECT_EQ(joined(jobs_for("conf/tiny_llama_native.yaml", {"launch.signal_grace=0"}).train_job).find("--signal"),
            std::string::npos);
  EXPECT_EQ(joined(jobs_for("conf/tiny_llama_native.yaml", {"launch.requeue=false"}).train_job).find("--signal"),
            std::string::npos);
}

// ---- the warm-cache advice ---------------------------------------------------------------

TEST(WarmCache, TorchNeuronAdviceIsAFirstShortRun) {
  const WarmCacheVerdict v = judge_warm_cache({}, "/c", "", WarmCachePolicy::kWarn, Backend::kTorchNeuron);
  EXPECT_NE(v.warning.find("a first short training run warms the cache"), std::string::npos) << v.warning;
  EXPECT_EQ(v.warning.find("run the COMPILE=1 job"), std::string::npos) << v.warning;
  EXPECT_NE(v.warning.find("assumes"), std::string::npos) << v.warning;  // the layout is an assumption
  const WarmCacheVerdict nxdt = judge_warm_cache({}, "/c", "", WarmCachePolicy::kWarn, Backend::kNxdt);
  EXPECT_NE(nxdt.warning.find("run the COMPILE=1 job first"), std::string::npos) << nxdt.warning;
}

}  // namespace
}  // namespace trn
