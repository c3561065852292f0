// Plan + validation rules: each rule with a passing and a failing config, and the
// launch-environment detection for Slurm (both patterns), OMPI, Batch, torchrun.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include <stdlib.h>
#include <unistd.h>
#include <string>

#include <nlohmann/json.hpp>

#include "common/ports.h"
#include "launcher/errors.h"
#include "launcher/plan/plan_output.h"
#include "launcher/plan/input_files.h"
#include "launcher/plan/plan.h"
#include "launcher/plan/visible_cores.h"
#include "tests/unit/fake_device_tree.h"

namespace trn {
namespace {

const char* kTop = "";  // tests run from the repository root (tests/run does)

PlanInputs inputs(const std::vector<std::string>& overrides, const EnvMap& env = {}, int nodes = 16,
                  const std::string& conf = "conf/hf_llama3_70B_config.yaml") {
  (void)kTop;
  PlanInputs in;
  in.site = config::SiteConfig{};
  in.config = load_config(conf, overrides, in.site);
  in.catalog = load_instance_catalog("conf/instances.yaml");
  in.env = env;
  in.launch = detect_launch_env(env, env.empty() ? std::optional<int>(nodes) : std::nullopt);
  in.bindir = "/opt/bin";
  in.resolve = [](const std::string& h) { return h == "trn1-st-trn1-1" ? std::string("10.0.0.1") : h; };
  return in;
}

// Runs make_plan and returns the joined error text ("" when valid).
std::string errors(const std::vector<std::string>& ov, int nodes = 16, const std::string& conf = "conf/hf_llama3_70B_config.yaml") {
  try {
    make_plan(inputs(ov, {}, nodes, conf));
    return "";
  } catch (const InputError& e) {
    std::string text;
    for (const auto& p : e.problems()) text += p.str() + "\n";
    return text;
  }
}

EnvMap slurm_env(int nodeid, int procid, const std::string& tpn, int ntasks);  // below

TEST(Plan, Llama70BTrn1) {
  Plan p = make_plan(inputs({}));
  EXPECT_EQ(p.world_size, 512);
  EXPECT_EQ(p.dp, 2);
  EXPECT_EQ(p.num_microbatches, 512);
  EXPECT_EQ(p.procs_per_node, 32);
  EXPECT_NE(p.master_port, p.root_comm_port);
  EXPECT_GE(p.master_port, kDefaultMasterPorts.lo);
  EXPECT_LE(p.master_port, kDefaultMasterPorts.hi);
}

TEST(Plan, Llama70BTrn2Lnc2) {
  Plan p = make_plan(inputs({}, {}, 8, "conf/hf_llama3_70B_trn2_config.yaml"));
  EXPECT_EQ(p.world_size, 512);
  EXPECT_EQ(p.dp, 4);
  EXPECT_EQ(p.num_microbatches, 256);
  EXPECT_EQ(p.lnc, 2);
  EXPECT_EQ(p.env["NEURON_LOGICAL_NC_CONFIG"], "2");
  EXPECT_NE(p.env["NEURON_CC_FLAGS"].find("--lnc=2"), std::string::npos);
}

TEST(Rules, WorldDivisibleByTpPpCp) {
  EXPECT_EQ(errors({}), "");
  EXPECT_NE(errors({}, 3).find("TP*PP*CP"), std::string::npos);
}
TEST(Rules, WorldDivisibleByTpPpEp) {
  EXPECT_EQ(errors({"+distributed_strategy.expert_model_parallel_size=2"}), "");
  EXPECT_NE(errors({"+distributed_strategy.expert_model_parallel_size=3"}).find("TP*PP*EP"), std::string::npos);
}
TEST(Rules, GbsMultipleOfMbsTimesDp) {
  EXPECT_EQ(errors({"data.global_batch_size=1022"}), "");
  EXPECT_NE(errors({"data.global_batch_size=1023"}).find("data.global_batch_size"), std::string::npos);
}
TEST(Rules, InterleavedPipelineMicrobatches) {
  EXPECT_EQ(errors({"distributed_strategy.virtual_pipeline_model_parallel_size=2"}), "");
  EXPECT_NE(errors({"distributed_strategy.virtual_pipeline_model_parallel_size=2", "data.global_batch_size=20"})
                .find("interleaved"),
            std::string::npos);
}
TEST(Rules, TpMultipleOfKvReplicator) {
  EXPECT_EQ(errors({"distributed_strategy.kv_replicator=8"}), "");
  EXPECT_NE(errors({"distributed_strategy.kv_replicator=3"}).find("kv_replicator"), std::string::npos);
}
TEST(Rules, LayersMultipleOfPp) {  // Megatron-style models only (issue 9 B8)
  EXPECT_EQ(errors({"model.num_layers=88", "model_source=megatron"}), "");
  EXPECT_NE(errors({"model.num_layers=81", "model_source=megatron"}).find("model.num_layers"), std::string::npos);
  EXPECT_EQ(errors({"model.num_layers=81"}), "");
}
TEST(Rules, ContextParallelNeedsRingAttention) {
  EXPECT_EQ(errors({}, 16, "conf/hf_llama3_70B_CP_config.yaml"), "");
  EXPECT_NE(errors({"model.fusions.ring_attention=false"}, 16, "conf/hf_llama3_70B_CP_config.yaml").find("ring_attention"),
            std::string::npos);
}
TEST(Rules, Trn2UnsupportedShapes) {
  EXPECT_EQ(errors({}, 8, "conf/hf_llama3_70B_trn2_config.yaml"), "");
  const std::string e = errors({"distributed_strategy.tensor_model_parallel_size=8", "distributed_strategy.kv_replicator=1"},
                               8, "conf/hf_llama3_70B_trn2_config.yaml");
  EXPECT_NE(e.find("not supported by NxD"), std::string::npos) << e;
}
TEST(Rules, DevicesMatchInstance) {
  EXPECT_EQ(errors({"trainer.devices=16", "launch.allow_devices_mismatch=true"}, 32), "");
  EXPECT_NE(errors({"trainer.devices=16"}).find("trainer.devices"), std::string::npos);
  EXPECT_NE(errors({"trainer.devices=128"}, 8, "conf/hf_llama3_70B_trn2_config.yaml").find("trainer.devices"),
            std::string::npos);
  EXPECT_EQ(errors({"trainer.devices=128", "trainer.lnc=1"}, 4, "conf/hf_llama3_70B_trn2_config.yaml"), "");
}
TEST(Rules, LncOnlyOnTrn2) {
  EXPECT_NE(errors({"trainer.lnc=2"}).find("trainer.lnc"), std::string::npos);
  EXPECT_NE(errors({"trainer.lnc=3"}, 8, "conf/hf_llama3_70B_trn2_config.yaml").find("trainer.lnc"), std::string::npos);
}
TEST(Rules, PortsInRangeAndDistinct) {
  EXPECT_EQ(errors({"launch.ports.master=50000"}), "");
  EXPECT_NE(errors({"launch.ports.master=80"}).find("launch.ports.master"), std::string::npos);
  // The root-comm range is the plugin's (plugstack root_comm_port_range), not a launch key.
  EXPECT_NE(errors({"launch.ports.root_comm=50001"}).find("unknown key"), std::string::npos);
  EnvMap env = slurm_env(0, 0, "1(x16)", 16);
  env["NEURON_RT_ROOT_COMM_ID"] = "10.0.0.1:50000";
  EXPECT_THROW(make_plan(inputs({"launch.ports.master=50000"}, env)), InputError);
}
TEST(Rules, AllReportedAtOnce) {
  const std::string e = errors({"model.num_layers=81", "model_source=megatron", "distributed_strategy.kv_replicator=3",
                                "data.global_batch_size=1023"});
  EXPECT_NE(e.find("model.num_layers"), std::string::npos);
  EXPECT_NE(e.find("kv_replicator"), std::string::npos);
  EXPECT_NE(e.find("global_batch_size"), std::string::npos);
}
TEST(Config, UnknownLaunchKeyAndBadOverride) {
  EXPECT_THROW(inputs({"launch.bogus=1"}), InputError);
  EXPECT_THROW(inputs({"=1"}), InputError);
  EXPECT_THROW(inputs({}, {}, 16, "conf/does_not_exist.yaml"), InputError);
}

EnvMap slurm_env(int nodeid, int procid, const std::string& tpn, int ntasks) {
  return {{"SLURM_JOB_ID", "1234"},          {"SLURM_STEP_ID", "0"},
          {"SLURM_STEP_NODELIST", "trn1-st-trn1-[1-4]"}, {"SLURM_STEP_NUM_NODES", "4"},
          {"SLURM_NODEID", std::to_string(nodeid)},      {"SLURM_PROCID", std::to_string(procid)},
          {"SLURM_LOCALID", std::to_string(procid % 2)}, {"SLURM_STEP_TASKS_PER_NODE", tpn},
          {"SLURM_STEP_NUM_TASKS", std::to_string(ntasks)}, {"SLURM_NTASKS", std::to_string(ntasks)}};
}

TEST(LaunchEnv, SlurmOneTaskPerNodeAllAgree) {
  Plan first;
  for (int n = 0; n < 4; ++n) {
    Plan p = make_plan(inputs({"trainer.devices=1"}, slurm_env(n, n, "1(x4)", 4), 0, "conf/tiny_llama_native.yaml"));
    EXPECT_EQ(p.node_rank, n);
    EXPECT_EQ(p.launch_pattern, LaunchPattern::kPerNode);
    EXPECT_EQ(p.master_addr, "10.0.0.1");
    if (n == 0) first = p;
    EXPECT_EQ(p.master_port, first.master_port);
    EXPECT_EQ(p.root_comm_port, first.root_comm_port);
    EXPECT_EQ(p.world_size, 4);
  }
}

TEST(LaunchEnv, SlurmOneTaskPerWorker) {
  Plan p = make_plan(inputs({"trainer.devices=2", "data.global_batch_size=16"}, slurm_env(1, 3, "2(x4)", 8), 0, "conf/tiny_llama_native.yaml"));
  EXPECT_EQ(p.launch_pattern, LaunchPattern::kPerWorker);
  EXPECT_EQ(p.world_size, 8);
  EXPECT_EQ(p.node_rank, 1);
  EXPECT_EQ(p.task_rank, 3);
  EXPECT_THROW(make_plan(inputs({"trainer.devices=4"}, slurm_env(1, 3, "2(x4)", 8), 0, "conf/tiny_llama_native.yaml")),
               InputError);
}

// Bug C (issue 8): without the plugin the launcher derives the root-comm port with the
// plugin's own function (common/ports.h step_port over the same default range), so a
// step gets the same id whoever sets it.
TEST(LaunchEnv, RootCommPortDerivedLikeThePlugin) {
  EnvMap env = slurm_env(0, 0, "1(x4)", 4);
  env["SLURM_JOB_ID"] = "4242";
  env["SLURM_STEP_ID"] = "3";
  Plan p = make_plan(inputs({"trainer.devices=1"}, env, 0, "conf/tiny_llama_native.yaml"));
  EXPECT_EQ(p.root_comm_source, RootCommSource::kDerived);
  EXPECT_EQ(p.root_comm_port, step_port(4242, 3, kDefaultRootCommPorts));
}

TEST(LaunchEnv, RootCommIdFromPluginWins) {
  EnvMap env = slurm_env(0, 0, "1(x4)", 4);
  env["NEURON_RT_ROOT_COMM_ID"] = "10.0.0.1:46123";
  Plan p = make_plan(inputs({"trainer.devices=1"}, env, 0, "conf/tiny_llama_native.yaml"));
  EXPECT_EQ(p.root_comm_port, 46123);
  EXPECT_EQ(p.root_comm_source, RootCommSource::kEnvironment);
  EXPECT_EQ(p.env["NEURON_RT_ROOT_COMM_ID"], "10.0.0.1:46123");
}

TEST(LaunchEnv, OmpiBatchTorchrun) {
  LaunchEnv o = detect_launch_env({{"OMPI_COMM_WORLD_RANK", "5"}, {"OMPI_COMM_WORLD_SIZE", "8"},
                                   {"OMPI_COMM_WORLD_LOCAL_RANK", "1"}, {"OMPI_COMM_WORLD_LOCAL_SIZE", "2"}},
                                  std::nullopt);
  EXPECT_EQ(o.nodes, 4);
  EXPECT_EQ(o.node_rank, 2);
  LaunchEnv child = detect_launch_env({{"AWS_BATCH_JOB_NODE_INDEX", "2"}, {"AWS_BATCH_JOB_NUM_NODES", "4"},
                                       {"AWS_BATCH_JOB_MAIN_NODE_INDEX", "0"},
                                       {"AWS_BATCH_JOB_MAIN_NODE_PRIVATE_IPV4_ADDRESS", "10.1.2.3"},
                                       {"AWS_BATCH_JOB_ID", "abc#2"}},
                                      std::nullopt);
  EXPECT_EQ(child.master_addr.value_or(""), "10.1.2.3");
  EXPECT_EQ(child.job_id, "abc");
  EXPECT_EQ(child.node_rank, 2);
  LaunchEnv main_node = detect_launch_env(
      {{"AWS_BATCH_JOB_NODE_INDEX", "0"}, {"AWS_BATCH_JOB_NUM_NODES", "4"}, {"AWS_BATCH_JOB_MAIN_NODE_INDEX", "0"}},
      std::nullopt);
  EXPECT_TRUE(main_node.master_is_this_node);  // its interface's address (common/net_interfaces.h)
  EXPECT_THROW(detect_launch_env({{"AWS_BATCH_JOB_NODE_INDEX", "1"}, {"AWS_BATCH_JOB_NUM_NODES", "4"}}, std::nullopt),
               InputError);
  LaunchEnv t = detect_launch_env({{"MASTER_ADDR", "10.9.9.9"}, {"MASTER_PORT", "29500"}, {"RANK", "3"},
                                   {"WORLD_SIZE", "4"}, {"LOCAL_WORLD_SIZE", "1"}, {"LOCAL_RANK", "0"}},
                                  std::nullopt);
  EXPECT_EQ(t.nodes, 4);
  EXPECT_EQ(t.node_rank, 3);
  EXPECT_EQ(t.master_port.value_or(0), 29500);
}

}  // namespace
}  // namespace trn

namespace trn {
namespace {

// launch.* overrides steer trn-train only; the backend (NxDT's Hydra) never sees them.
TEST(BackendCommand, LaunchOverridesStayWithTrnTrain) {
  const Plan p = make_plan(inputs({"launch.ports.master=42000-42999", "trainer.max_steps=5"}, {}, 16));
  EXPECT_GE(p.master_port, 42000);
  EXPECT_LE(p.master_port, 42999);
  bool saw_steps = false;
  for (const auto& a : p.command) {
    EXPECT_EQ(a.rfind("launch.", 0), std::string::npos) << a;
    saw_steps = saw_steps || a == "trainer.max_steps=5";
  }
  EXPECT_TRUE(saw_steps);
}

}  // namespace
}  // namespace trn

namespace trn {
namespace {

// Bug A (issue 8): the training keys are typed by the same reader the trainer uses,
// so `trainer.max_steps=ten` fails at plan time, naming the key, for every backend.
TEST(Issue8, TrainingKeysAreTypedAtPlanTime) {
  const std::string native = errors({"trainer.max_steps=ten"}, 4, "conf/tiny_llama_native.yaml");
  EXPECT_NE(native.find("trainer.max_steps = ten"), std::string::npos) << native;
  const std::string nxdt = errors({"trainer.max_steps=ten"});
  EXPECT_NE(nxdt.find("trainer.max_steps = ten"), std::string::npos) << nxdt;
}

TEST(Issue8, MalformedOverrideValueIsAProblem) {
  EXPECT_THROW(make_plan(inputs({"trainer.foo=["})), InputError);
  const std::string e = errors({"trainer.foo=["});
  EXPECT_NE(e.find("trainer.foo = ["), std::string::npos) << e;
}

// Bug C (issue 8): with only cache_root in the site file, every backend's plan
// exports that cache (TRN_TRAIN_CACHE_DIR), so the native trainer on every node and
// `trn-train cache` use the shared folder instead of a node-local /var/tmp one.
TEST(Issue8, SiteCacheRootReachesEveryBackend) {
  for (const char* conf : {"conf/tiny_llama_native.yaml", "conf/hf_llama3_70B_config.yaml"}) {
    // The published 70B config names its own compiler_cache_url: the site's cache wins over it.
    PlanInputs in = inputs({}, {}, std::string(conf).find("native") != std::string::npos ? 4 : 16, conf);
    in.site.cache_root = "/fsx/cache";
    in.site.path = "/etc/trn-train/site.yaml";
    const Plan p = make_plan(in);
    EXPECT_EQ(p.cache.dir, "/fsx/cache") << conf;
    EXPECT_EQ(p.env.at("TRN_TRAIN_CACHE_DIR"), "/fsx/cache") << conf;
  }
  PlanInputs nxdt = inputs({"~compiler_cache_url"}, {}, 16);
  nxdt.site.cache_root = "/fsx/cache";
  const Plan p = make_plan(nxdt);
  EXPECT_EQ(p.env.at("NEURON_COMPILE_CACHE_URL"), "/fsx/cache");
  EXPECT_NE(p.env.at("NEURON_CC_FLAGS").find("--cache_dir=/fsx/cache"), std::string::npos);
}

// Issue 17 (defect 7): the published configs' compiler_cache_url (/home/ubuntu/neuron_cache,
// an example path) outranked the admin's site cache_root; now the site wins over it, and a
// user who wants a private cache says so with launch.cache_dir (or the environment).
TEST(Issue8, CacheLocationPrecedence) {
  PlanInputs in = inputs({"compiler_cache_url=/from/config"}, {}, 16);
  EXPECT_EQ(make_plan(in).cache.dir, "/from/config");
  EXPECT_EQ(make_plan(in).cache.dir_source, "compiler_cache_url in the config");
  in.site.cache_root = "/from/site";
  EXPECT_EQ(make_plan(in).cache.dir, "/from/site");
  in = inputs({"compiler_cache_url=/from/config", "launch.cache_dir=/from/launch"}, {}, 16);
  in.site.cache_root = "/from/site";
  EXPECT_EQ(make_plan(in).cache.dir, "/from/launch");
  EXPECT_EQ(make_plan(in).cache.dir_source, "launch.cache_dir in the config");
  in.env["NEURON_COMPILE_CACHE_URL"] = "/from/plugin";
  EXPECT_EQ(make_plan(in).cache.dir, "/from/plugin");
  in.env["TRN_TRAIN_CACHE_DIR"] = "/from/env";
  EXPECT_EQ(make_plan(in).cache.dir, "/from/env");
}

// The native backend reads the effective config `run` writes, with no overrides of its own.
TEST(Issue8, NativeBackendReadsTheEffectiveConfig) {
  const Plan p = make_plan(inputs({"trainer.max_steps=7"}, {}, 4, "conf/tiny_llama_native.yaml"));
  ASSERT_GE(p.command.size(), 4u);
  EXPECT_EQ(p.command[2], p.effective_config);
  EXPECT_EQ(p.command.size(), 4u);
  const std::string text = effective_config_text(inputs({"trainer.max_steps=7"}, {}, 4, "conf/tiny_llama_native.yaml").config);
  EXPECT_NE(text.find("max_steps: 7"), std::string::npos);
  EXPECT_NE(text.find("/conf/tiny_llama_config.json"), std::string::npos);  // made absolute
}

// Bug F (issue 8): plan --json is written by the JSON library, so any string is escaped.
TEST(Issue8, PlanJsonEscapesEverything) {
  EnvMap env;
  Plan p = make_plan(inputs({}, env, 16));
  p.env["WEIRD"] = "a \"quoted\" \\ value\n\x01";
  const auto j = nlohmann::json::parse(plan_to_json(p));
  EXPECT_EQ(j["env"]["WEIRD"], "a \"quoted\" \\ value\n\x01");
  EXPECT_EQ(j["world_size"], 512);
}

}  // namespace
}  // namespace trn

namespace trn {
namespace {

// --- Issue 17 ----------------------------------------------------------------------

// Defect 1: a mistyped key passed `plan` and trained the config's value (native) or
// failed inside Hydra on every node (nxdt); now every command refuses it up front.
TEST(Issue17, MistypedOverrideKeyIsRefusedBeforeAnythingRuns) {
  const std::string e = errors({"trainer.max_step=3"}, 4, "conf/tiny_llama_native.yaml");
  EXPECT_NE(e.find("trainer.max_step = 3: no such key"), std::string::npos) << e;
  EXPECT_NE(e.find("did you mean trainer.max_steps?"), std::string::npos) << e;
  EXPECT_NE(errors({"tranier.max_steps=10"}, 4, "conf/hf_llama3_8B_config.yaml").find("tranier.max_steps"),
            std::string::npos);
}

// Defect 4: a precision.type with a typo set no precision variable at all.
TEST(Issue17, UnknownEnumValuesAreRefusedWithTheAllowedOnes) {
  const std::string e = errors({"precision.type=mixed_precison"}, 4, "conf/hf_llama3_8B_config.yaml");
  EXPECT_NE(e.find("precision.type = mixed_precison: unknown value (did you mean mixed_precision"), std::string::npos)
      << e;
  EXPECT_NE(e.find("bf16SR, mixed_precision, mixed_precision_SR, fp32, autocast, manual"), std::string::npos) << e;
  EXPECT_NE(errors({"model_source=HF"}, 4, "conf/hf_llama3_8B_config.yaml").find("model_source = HF: unknown value"),
            std::string::npos);
  const Plan fp32 = make_plan(inputs({"precision.type=fp32"}, {}, 4, "conf/hf_llama3_8B_config.yaml"));
  EXPECT_EQ(fp32.env.at("XLA_DOWNCAST_BF16"), "0");
}

// Defect 5: under `run` a relative data.data_prefix was resolved against the node's log
// folder; the effective config now holds it absolute (from the config's folder), and
// NxDT is handed the same absolute path.
TEST(Issue17, RelativePathsResolveFromTheConfigsFolderForEveryBackend) {
  const PlanInputs text = inputs({}, {}, 4, "conf/tiny_llama_text.yaml");
  const std::string eff = effective_config_text(text.config);
  EXPECT_NE(eff.find(text.config.dir + "/fortunes_text_document"), std::string::npos) << eff;
  EXPECT_NE(eff.find(text.config.dir + "/tiny_llama_text_config.json"), std::string::npos) << eff;

  const Plan nxdt = make_plan(inputs({"+data.data_prefix=[1.0,data/my_corpus]"}, {}, 4, "conf/hf_llama3_8B_config.yaml"));
  std::string argv;
  for (const auto& a : nxdt.command) argv += a + " ";
  EXPECT_NE(argv.find("++data.data_prefix=[1.0," + text.config.dir + "/data/my_corpus]"), std::string::npos) << argv;
  // Absolute paths in the published configs are handed on untouched: no extra override.
  const Plan plain = make_plan(inputs({}, {}, 4, "conf/hf_llama3_8B_config.yaml"));
  for (const auto& a : plain.command) EXPECT_EQ(a.find("++"), std::string::npos) << a;
}

// Defect 8: the config's trainer.num_nodes was replaced by the allocation's count silently.
TEST(Issue17, NodeCountDifferingFromTheConfigIsSaidOnce) {
  const Plan p = make_plan(inputs({}, {}, 2, "conf/tiny_llama_native.yaml"));  // config: num_nodes 4
  std::string all;
  for (const auto& w : p.warnings) all += w + "\n";
  EXPECT_NE(all.find("trainer.num_nodes = 4 in the config, but the job has 2 nodes (--nodes): 2 is used"),
            std::string::npos)
      << all;
  const Plan same = make_plan(inputs({}, {}, 4, "conf/tiny_llama_native.yaml"));
  for (const auto& w : same.warnings) EXPECT_EQ(w.find("trainer.num_nodes"), std::string::npos) << w;
}

// Defect 9: a config name that is not found names the nearest ones.
TEST(Issue17, UnknownConfigNameNamesTheNearest) {
  try {
    load_config("hf_llama3_8b_config", {}, config::SiteConfig{});
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(e.problems().at(0).fix.find("did you mean hf_llama3_8B_config"), std::string::npos)
        << e.problems().at(0).str();
  }
}

// Defect 10: the launcher overwrote the LNC the plugin set for the task; a contradiction
// is now refused with both values.
TEST(Issue17, TaskLncFromThePluginIsNotOverwritten) {
  EnvMap env{{"NEURON_LOGICAL_NC_CONFIG", "1"}};
  try {
    make_plan(inputs({}, env, 8, "conf/hf_llama3_70B_trn2_config.yaml"));  // trn2: LNC 2 by default
    FAIL() << "a contradicting LNC was overwritten";
  } catch (const InputError& e) {
    EXPECT_NE(e.problems().at(0).str().find("NEURON_LOGICAL_NC_CONFIG = 1 (this task's"), std::string::npos)
        << e.problems().at(0).str();
  }
  env["NEURON_LOGICAL_NC_CONFIG"] = "2";
  EXPECT_EQ(make_plan(inputs({}, env, 8, "conf/hf_llama3_70B_trn2_config.yaml")).env.at("NEURON_LOGICAL_NC_CONFIG"), "2");
}

// NxDT is handed the user's overrides as Hydra reads them, without trn-train's own
// launch.* keys in any prefix form (Hydra would refuse ~launch.x for a key it lacks).
TEST(Issue17, NxdtGetsTheOverridesButNoLaunchKeys) {
  const Plan p = make_plan(inputs({"trainer.max_steps=5", "++launch.preflight=false", "~launch.instance",
                                   "launch.requeue=false"},
                                  {}, 4, "conf/hf_llama3_8B_config.yaml"));
  std::string argv;
  for (const auto& a : p.command) argv += a + " ";
  EXPECT_NE(argv.find(" trainer.max_steps=5"), std::string::npos) << argv;
  EXPECT_EQ(argv.find("launch."), std::string::npos) << argv;
}

// Item 3: the files a job reads are checked on the node (plan inside an allocation,
// preflight): each data prefix's .bin and .idx, the model config, the Neuron script.
TEST(Issue17, InputFilesAreCheckedNamingKeyPathAndNode) {
  char dir[] = "/tmp/trn-inputs-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  const std::string prefix = std::string(dir) + "/corpus";
  std::ofstream(prefix + ".bin") << "x";
  const LoadedConfig native =
      load_config("conf/tiny_llama_native.yaml", {"+data.data_prefix=[1.0," + prefix + "]"}, config::SiteConfig{});
  const Problems p = check_input_files(native, "node-7");
  ASSERT_EQ(p.size(), 1u);  // the .idx; the model config next to the YAML is there
  EXPECT_EQ(p[0].key, "data.data_prefix");
  EXPECT_EQ(p[0].value, prefix + ".idx (on node-7)");
  std::ofstream(prefix + ".idx") << "x";
  EXPECT_TRUE(check_input_files(native, "node-7").empty());

  // NxDT: the published config's /home/ubuntu/config.json and the orchestrator script.
  const LoadedConfig nxdt =
      load_config("conf/hf_llama3_8B_config.yaml", {"launch.script=" + std::string(dir) + "/missing.py"},
                  config::SiteConfig{});
  std::string keys;
  for (const auto& q : check_input_files(nxdt, "n1")) keys += q.key + " ";
  EXPECT_NE(keys.find("launch.script"), std::string::npos) << keys;
  std::remove((prefix + ".bin").c_str());
  std::remove((prefix + ".idx").c_str());
  ::rmdir(dir);
}


// --- Issue 19: new hardware (defect 3) and the task's cores against the layout (defect 2) ---

// The plan on a node made by tests/fixtures/neuron_device_tree.sh (rule 2: the node).
Plan plan_on_tree(const std::string& type, const std::string& dmi, const std::vector<std::string>& ov, int nodes,
                  const EnvMap& env = {}) {
  const std::string& root = test_tree::shared(type, dmi);
  EXPECT_FALSE(root.empty()) << type;
  PlanInputs in = inputs(ov, env, nodes, "conf/hf_llama3_8B_trn2_config.yaml");  // trainer.lnc 2, TP 16
  in.node = read_node_instance(root);
  try {
    return make_plan(in);
  } catch (const InputError& e) {
    for (const auto& p : e.problems()) ADD_FAILURE() << type << ": " << p.str();
    throw;
  }
}

TEST(Issue19, PlanGivesWorldProcsAndLncForTheNewTypes) {
  struct Case {
    const char* type;
    std::vector<std::string> overrides;
    int nodes, procs, world, lnc;
  };
  const Case cases[] = {
      {"trn2u.48xlarge", {}, 4, 64, 256, 2},
      {"trn2u.48xlarge",
       {"trainer.lnc=1", "trainer.devices=128", "distributed_strategy.tensor_model_parallel_size=32"}, 4, 128, 512, 1},
      {"trn3-gen1", {}, 4, 64, 256, 2},
      {"trn3-gen1", {"trainer.lnc=1", "trainer.devices=128"}, 2, 128, 256, 1},
      {"trn3-gen2", {"trainer.devices=16", "data.global_batch_size=576"}, 36, 16, 576, 2},
      {"trn3-gen2", {"trainer.lnc=1", "trainer.devices=32"}, 4, 32, 128, 1},
  };
  for (const Case& c : cases) {
    const Plan p = plan_on_tree(c.type, "", c.overrides, c.nodes);
    EXPECT_EQ(p.instance, c.type);
    EXPECT_EQ(p.procs_per_node, c.procs) << c.type;
    EXPECT_EQ(p.world_size, c.world) << c.type;
    EXPECT_EQ(p.lnc, c.lnc) << c.type;
    EXPECT_EQ(p.env.at("NEURON_LOGICAL_NC_CONFIG"), std::to_string(c.lnc)) << c.type;
  }
  EXPECT_EQ(to_string(plan_on_tree("trn3-gen1", "", {}, 4).platform), std::string("trn3"));
}

// A Trn3 server whose EC2 name the catalog does not know is found by its sysfs shape
// (old code: an unknown name, then trainer.lnc planned it as trn2.48xlarge).
TEST(Issue19, Trn3NodeUnderAnUnknownNameIsFoundByItsShape) {
  const Plan gen1 = plan_on_tree("trn3-gen1", "trn3.unlisted", {}, 4);
  EXPECT_EQ(gen1.instance, "trn3-gen1");
  EXPECT_NE(gen1.instance_rule.find("16 x Trainium3 (8 NeuronCore-v4 each)"), std::string::npos) << gen1.instance_rule;
  const Plan gen2 = plan_on_tree("trn3-gen2", "trn3.other", {"trainer.devices=16", "data.global_batch_size=576"}, 36);
  EXPECT_EQ(gen2.instance, "trn3-gen2");
  EXPECT_EQ(gen2.procs_per_node, 16);
}

// trn2u.48xlarge is planned, not refused as an unknown instance (old code).
TEST(Issue19, Trn2UltraServerNodeIsKnown) {
  const Plan p = plan_on_tree("trn2u.48xlarge", "", {}, 4);
  EXPECT_EQ(p.instance, "trn2u.48xlarge");
  EXPECT_NE(p.instance_rule.find("product_name"), std::string::npos) << p.instance_rule;
}

// One line under aliases: gives a provisional entry its real EC2 name.
TEST(Issue19, AliasNamesAProvisionalType) {
  char dir[] = "/tmp/trn-catalog-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  const std::string path = std::string(dir) + "/instances.yaml";
  {
    std::ifstream src("conf/instances.yaml");
    std::ofstream dst(path);
    dst << src.rdbuf() << "  trn3.48xlarge: trn3-gen1\n";
  }
  const InstanceCatalog cat = load_instance_catalog(path);
  ASSERT_NE(cat.find("trn3.48xlarge"), nullptr);
  EXPECT_EQ(cat.find("trn3.48xlarge")->procs_per_lnc.at(2), 64);
  EXPECT_EQ(cat.find("trn3.48xlarge")->ultraserver_nodes, 4);
  EXPECT_EQ(cat.names().find("trn3.48xlarge"), std::string::npos);  // listed once, as an alias
  std::ofstream(path, std::ios::app) << "  trn9.big: nothing\n";
  EXPECT_THROW(load_instance_catalog(path), InputError);
  std::remove(path.c_str());
  ::rmdir(dir);
}

// The catalog's chip facts and the plugin's table (common/platform.h) are one truth.
TEST(Issue19, CatalogAgreesWithTheChipTable) {
  const InstanceCatalog cat = load_instance_catalog("conf/instances.yaml");
  for (const auto& [name, t] : cat.types) {
    if (t.platform == Platform::kCpu) continue;
    EXPECT_EQ(t.cores_per_device, chip_facts(t.platform).cores_per_device) << name;
    EXPECT_EQ(t.neuroncore_version, chip_facts(t.platform).neuroncore_version) << name;
    EXPECT_EQ(!t.lnc_allowed.empty() && t.lnc_allowed.size() > 1, chip_facts(t.platform).lnc_configurable) << name;
  }
}

TEST(Issue19, VisibleCoresListsAreRead) {
  EXPECT_EQ(parse_visible_cores("0-63").value_or(std::vector<int>{}).size(), 64u);
  EXPECT_EQ(parse_visible_cores("5"), std::vector<int>{5});
  EXPECT_EQ(parse_visible_cores("0-3,8-11,20"), (std::vector<int>{0, 1, 2, 3, 8, 9, 10, 11, 20}));
  for (const char* bad : {"", "a", "3-1", "0-", "-1", "0,,1", "0,", "1 2", "+1", "0-+3", "0-70000"})
    EXPECT_FALSE(parse_visible_cores(bad)) << bad;
}

// Defect 2, launcher half: the task's visible cores must fit the layout before any
// worker starts: one core per worker per node (torch-xla checks LOCAL_WORLD_SIZE
// against them), one core per task in the per-worker layout.
TEST(Issue19, VisibleCoresThatDoNotFitTheLayoutAreRefused) {
  const std::string trn2 = "conf/hf_llama3_70B_trn2_config.yaml";  // 64 workers per node at LNC 2
  auto problems = [&](const EnvMap& env) {
    try {
      make_plan(inputs({}, env, 8, trn2));
      return std::string();
    } catch (const InputError& e) {
      std::string text;
      for (const auto& p : e.problems()) text += p.str() + "\n";
      return text;
    }
  };
  EXPECT_EQ(problems({{"NEURON_RT_VISIBLE_CORES", "0-63"}}), "");
  EXPECT_EQ(problems({{"NEURON_RT_VISIBLE_CORES", "0-31,32-63"}}), "");
  const std::string half = problems({{"NEURON_RT_VISIBLE_CORES", "0-31"}});
  EXPECT_NE(half.find("NEURON_RT_VISIBLE_CORES = 0-31 (32 cores"), std::string::npos) << half;
  EXPECT_NE(half.find("one core per worker: 64 (procs_per_node of trn2.48xlarge at LNC 2)"), std::string::npos) << half;
  EXPECT_NE(problems({{"NEURON_RT_VISIBLE_CORES", "0-x"}}).find("is not a core list"), std::string::npos);
  // The plugin at LNC 1 (srun --neuron-lnc=1): the LNC contradiction is said once, alone.
  const std::string lnc1 = problems({{"NEURON_LOGICAL_NC_CONFIG", "1"}, {"NEURON_RT_VISIBLE_CORES", "0-127"}});
  EXPECT_NE(lnc1.find("NEURON_LOGICAL_NC_CONFIG = 1"), std::string::npos) << lnc1;
  EXPECT_EQ(lnc1.find("NEURON_RT_VISIBLE_CORES"), std::string::npos) << lnc1;
  // Per worker: one core per task.
  EnvMap env = slurm_env(0, 0, "2(x4)", 8);
  env["NEURON_RT_VISIBLE_CORES"] = "0-1";
  const auto per_worker = [&](const EnvMap& e) {
    try {
      make_plan(inputs({"trainer.devices=2", "data.global_batch_size=16", "launch.allow_devices_mismatch=true",
                        "launch.procs_per_node=2"},
                       e, 0, trn2));
      return std::string();
    } catch (const InputError& x) {
      std::string text;
      for (const auto& p : x.problems()) text += p.str() + "\n";
      return text;
    }
  };
  EXPECT_NE(per_worker(env).find("one task per worker needs exactly 1 core per task"), std::string::npos)
      << per_worker(env);
  env["NEURON_RT_VISIBLE_CORES"] = "1";
  EXPECT_EQ(per_worker(env).find("NEURON_RT_VISIBLE_CORES"), std::string::npos) << per_worker(env);
}

}  // namespace
}  // namespace trn
