// Issue 9 (B7 instance resolution, B8 layers per model_source, B10 mpirun inside
// Slurm, B4-B6 ports and file limit) and issue 10 (counts: ranges and checked
// arithmetic in the plan and the launch-environment readers).
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <string>

#include "common/node_instance.h"
#include "common/ports.h"
#include "launcher/errors.h"
#include "launcher/commands/file_limit.h"
#include "launcher/plan/plan.h"
#include "launcher/plan/plan_output.h"

namespace trn {
namespace {

PlanInputs make_inputs(const std::string& conf, const std::vector<std::string>& overrides, const EnvMap& env,
                       std::optional<int> nodes) {
  PlanInputs in;
  in.config = load_config(conf, overrides, in.site);
  in.catalog = load_instance_catalog("conf/instances.yaml");
  in.env = env;
  in.launch = detect_launch_env(env, nodes);
  in.bindir = "/opt/bin";
  return in;
}

// The joined problem text of make_plan ("" when it plans).
std::string plan_errors(const PlanInputs& in) {
  try {
    make_plan(in);
    return "";
  } catch (const InputError& e) {
    std::string text;
    for (const auto& p : e.problems()) text += p.str() + "\n";
    return text;
  }
}

// The same for a config whose loading may already fail.
std::string config_errors(const std::string& conf, const std::vector<std::string>& overrides,
                          std::optional<int> nodes) {
  try {
    return plan_errors(make_inputs(conf, overrides, {}, nodes));
  } catch (const InputError& e) {
    std::string text;
    for (const auto& p : e.problems()) text += p.str() + "\n";
    return text;
  }
}

std::string env_errors(const EnvMap& env, std::optional<int> nodes = std::nullopt) {
  try {
    detect_launch_env(env, nodes);
    return "";
  } catch (const InputError& e) {
    std::string text;
    for (const auto& p : e.problems()) text += p.str() + "\n";
    return text;
  }
}

// A fake node root with the files discovery reads (as localslurm's device trees).
std::string fake_root(const std::map<std::string, std::string>& files) {
  char tmpl[] = "/tmp/trn-node-XXXXXX";
  std::string root = mkdtemp(tmpl);
  for (const auto& [path, text] : files) {
    std::string dir = root + path.substr(0, path.rfind('/'));
    for (size_t slash = dir.find('/', 1); ; slash = dir.find('/', slash + 1)) {
      ::mkdir(dir.substr(0, slash).c_str(), 0755);
      if (slash == std::string::npos) break;
    }
    std::ofstream(root + path) << text << "\n";
  }
  return root;
}

const char* k8BTrn2 = "conf/hf_llama3_8B_trn2_config.yaml";  // published: no launch.instance, trainer.lnc 2

// --- B7: instance resolution ---------------------------------------------------

TEST(InstanceResolution, NodeDmiAndSysfs) {
  EXPECT_EQ(read_node_instance(fake_root({{"/sys/class/dmi/id/product_name", "trn2.48xlarge"}})).instance_type,
            "trn2.48xlarge");
  const auto sysfs = read_node_instance(fake_root({{"/sys/class/dmi/id/product_name", "Standard PC"},
                                                   {"/sys/class/neuron_device/neuron1/info/architecture/instance_type", "trn2.48xlarge"},
                                                   {"/sys/class/neuron_device/neuron0/info/architecture/instance_type", "trn1.32xlarge"}}));
  EXPECT_EQ(sysfs.instance_type, "trn1.32xlarge");  // the first device
  const auto chip = read_node_instance(
      fake_root({{"/sys/devices/virtual/neuron_device/neuron0/info/architecture/device_name", "Trainium2"}}));
  EXPECT_EQ(chip.platform, Platform::kTrn2);
  EXPECT_EQ(chip.instance_type, "");
  EXPECT_EQ(read_node_instance(fake_root({})).platform, Platform::kUnknown);
  EXPECT_EQ(read_node_instance("/nonexistent/root").platform, Platform::kUnknown);
}

TEST(InstanceResolution, OrderOfTheFourRules) {
  // 4. config inference: trainer.lnc set -> trn2 (the published trn2 configs plan without --instance).
  PlanInputs in = make_inputs(k8BTrn2, {}, {}, 1);
  Plan p = make_plan(in);
  EXPECT_EQ(p.instance, "trn2.48xlarge");
  EXPECT_NE(p.instance_rule.find("trainer.lnc"), std::string::npos) << p.instance_rule;
  EXPECT_EQ(make_plan(make_inputs(k8BTrn2, {"~trainer.lnc"}, {}, 1)).instance_rule, "config (trainer.devices 64)");
  // 3. site file: partitions[SLURM_JOB_PARTITION] beats the config; then its instance.
  in = make_inputs(k8BTrn2, {"~trainer.lnc", "trainer.devices=32"}, {{"SLURM_JOB_PARTITION", "q1"}}, 1);
  in.site.partitions = {{"q1", "trn1n.32xlarge"}};
  in.site.path = "/etc/trn-train/site.yaml";
  EXPECT_EQ(make_plan(in).instance, "trn1n.32xlarge");
  in.env["SLURM_JOB_PARTITION"] = "other";
  in.site.instance = "trn1.32xlarge";
  EXPECT_EQ(make_plan(in).instance_rule, "site file (instance)");
  // 2. the node beats the site file.
  in.node = read_node_instance(fake_root({{"/sys/class/dmi/id/product_name", "trn1n.32xlarge"}}));
  p = make_plan(in);
  EXPECT_EQ(p.instance, "trn1n.32xlarge");
  EXPECT_NE(p.instance_rule.find("product_name"), std::string::npos);
  // 1. --instance / launch.instance beats the node.
  in = make_inputs(k8BTrn2, {"launch.instance=trn2.48xlarge"}, {}, 1);
  in.node.instance_type = "trn1.32xlarge";
  in.node.source = "dmi";
  EXPECT_EQ(make_plan(in).instance_rule, "--instance / launch.instance");
  // A node naming only its chip: trn2.48xlarge and trn2u.48xlarge both fit, so the
  // config's rule chooses among them; without it the plan names both and the fix.
  in = make_inputs(k8BTrn2, {}, {}, 1);
  in.node.platform = Platform::kTrn2;
  in.node.source = "device_name";
  EXPECT_EQ(make_plan(in).instance_rule, "config (trainer.lnc is set: trn2)");
  in = make_inputs(k8BTrn2, {"~trainer.lnc", "~trainer.devices"}, {}, 1);
  in.node.platform = Platform::kTrn2;
  const std::string e = plan_errors(in);
  EXPECT_NE(e.find("fits trn2.48xlarge and trn2u.48xlarge, which its devices cannot tell apart; name it: --instance"),
            std::string::npos) << e;
}

TEST(InstanceResolution, NoSilentDefault) {
  // Old code planned this on trn1.32xlarge silently.
  const std::string e = plan_errors(make_inputs(k8BTrn2, {"~trainer.lnc", "~trainer.devices"}, {}, 1));
  for (const char* way : {"--instance", "DMI product name", "partitions:", "trainer.devices"})
    EXPECT_NE(e.find(way), std::string::npos) << way << " in " << e;
  PlanInputs in = make_inputs(k8BTrn2, {}, {}, 1);
  in.node.instance_type = "trn1.2xlarge";
  in.node.source = "/sys/class/dmi/id/product_name";
  EXPECT_NE(plan_errors(in).find("trn1.2xlarge: unknown instance type"), std::string::npos) << plan_errors(in);
}

// Done-when of issue 9: every shipped NxDT config plans under a simulated srun task on
// its configured node count, without --instance, on the right instance.
TEST(InstanceResolution, EveryShippedConfigPlansWithoutInstance) {
  for (const auto& [conf, nodes, want] :
       std::vector<std::tuple<std::string, int, std::string>>{{"hf_llama3_70B_config", 16, "trn1.32xlarge"},
                                                              {"hf_llama3_70B_trn2_config", 8, "trn2.48xlarge"},
                                                              {"hf_llama3_8B_trn2_config", 1, "trn2.48xlarge"},
                                                              {"hf_llama3.1_405B_trn1_config", 64, "trn1.32xlarge"},
                                                              {"hf_llama3.1_70B_config", 32, "trn1.32xlarge"},
                                                              {"hf_llama3.1_8B_config", 32, "trn1.32xlarge"},
                                                              {"hf_llama_7B_config", 1, "trn1.32xlarge"},
                                                              {"hf_llama3_8B_config", 4, "trn1.32xlarge"}}) {
    const std::string n = std::to_string(nodes), last = std::to_string(nodes - 1);
    EnvMap env{{"SLURM_JOB_ID", "77"}, {"SLURM_STEP_ID", "0"}, {"SLURM_STEP_NODELIST", "n[1-" + n + "]"},
               {"SLURM_STEP_NUM_NODES", n}, {"SLURM_NODEID", last}, {"SLURM_PROCID", last},
               {"SLURM_STEP_NUM_TASKS", n}, {"SLURM_STEP_TASKS_PER_NODE", "1(x" + n + ")"}};
    PlanInputs in = make_inputs("conf/" + conf + ".yaml", {"~launch.instance"}, env, std::nullopt);
    const std::string e = plan_errors(in);
    ASSERT_EQ(e, "") << conf;
    EXPECT_EQ(make_plan(in).instance, want) << conf;
  }
}

// --- B8: layers per model_source ------------------------------------------------

TEST(LayerRule, PerModelSource) {
  const std::string conf = "conf/hf_llama3.1_405B_trn1_config.yaml";  // 126 layers, PP 32: refused by old code
  EXPECT_EQ(plan_errors(make_inputs(conf, {}, {}, 64)), "");
  EXPECT_NE(plan_errors(make_inputs(conf, {"model_source=megatron"}, {}, 64)).find("model.num_layers = 126"),
            std::string::npos);
  EXPECT_NE(plan_errors(make_inputs(conf, {"model.num_layers=31"}, {}, 64)).find("fewer than the pipeline stages"),
            std::string::npos);
}

// --- B10: mpirun inside a Slurm allocation ---------------------------------------

// What a rank of `salloc -N2 mpirun -np 4 --map-by ppr:2:node` sees: mpirun's daemons
// were started by one srun step (one task per node), and Open MPI's own variables.
EnvMap mpirun_in_slurm(int rank) {
  return {{"SLURM_JOB_ID", "55"}, {"SLURM_JOB_NODELIST", "trn1-st-trn1-[1-2]"}, {"SLURM_NNODES", "2"},
          {"SLURM_STEP_ID", "0"}, {"SLURM_STEP_NODELIST", "trn1-st-trn1-2"}, {"SLURM_STEP_NUM_NODES", "1"},
          {"SLURM_NODEID", "0"}, {"SLURM_PROCID", "0"}, {"SLURM_STEP_NUM_TASKS", "1"},
          {"OMPI_COMM_WORLD_RANK", std::to_string(rank)}, {"OMPI_COMM_WORLD_SIZE", "4"},
          {"OMPI_COMM_WORLD_LOCAL_RANK", std::to_string(rank % 2)}, {"OMPI_COMM_WORLD_LOCAL_SIZE", "2"},
          {"PMIX_RANK", std::to_string(rank)}};
}

TEST(MpirunInSlurm, RanksDescribeThisProcess) {
  for (int rank = 0; rank < 4; ++rank) {
    const LaunchEnv le = detect_launch_env(mpirun_in_slurm(rank), std::nullopt);
    EXPECT_EQ(le.kind, LaunchKind::kOpenMpi);  // old code: slurm, world 2, every rank node 0 / rank 0
    EXPECT_EQ(le.task_rank, rank);
    EXPECT_EQ(le.node_rank, rank / 2);
    EXPECT_EQ(le.nodes, 2);
    EXPECT_EQ(le.job_id, "55");
    ASSERT_EQ(le.hosts.size(), 2u);
    EXPECT_EQ(le.hosts.front(), "trn1-st-trn1-1");
  }
  PlanInputs in = make_inputs("conf/tiny_llama_native.yaml", {"trainer.devices=2", "data.global_batch_size=16"},
                              mpirun_in_slurm(3), std::nullopt);
  in.resolve = [](const std::string&) { return std::string("10.0.0.1"); };
  const Plan p = make_plan(in);
  EXPECT_EQ(p.world_size, 4);
  EXPECT_EQ(p.task_rank, 3);
  EXPECT_EQ(p.launch_pattern, LaunchPattern::kPerWorker);
}

TEST(MpirunInSlurm, FewerNodesThanAllocatedAndBadSizes) {
  EnvMap env = mpirun_in_slurm(1);
  env["OMPI_COMM_WORLD_SIZE"] = "2";
  EXPECT_EQ(detect_launch_env(env, std::nullopt).hosts.size(), 1u);
  env["OMPI_COMM_WORLD_SIZE"] = "8";  // 4 nodes' worth on a 2-node allocation
  EXPECT_NE(env_errors(env).find("allocation has 2"), std::string::npos) << env_errors(env);
  env = mpirun_in_slurm(1);
  env["OMPI_COMM_WORLD_SIZE"] = "5";  // sizes that do not divide
  EXPECT_NE(env_errors(env).find("not a multiple of OMPI_COMM_WORLD_LOCAL_SIZE"), std::string::npos);
  // A PMIx launcher inside the step without OMPI variables: refused, not misread.
  EnvMap pmix{{"SLURM_JOB_ID", "55"}, {"SLURM_STEP_ID", "0"}, {"SLURM_NODEID", "0"}, {"SLURM_PROCID", "0"},
              {"SLURM_STEP_NODELIST", "a"}, {"SLURM_STEP_NUM_NODES", "1"}, {"PMIX_RANK", "3"}};
  EXPECT_NE(env_errors(pmix).find("PMIX_RANK = 3"), std::string::npos);
  pmix["PMIX_RANK"] = "0";  // srun --mpi=pmix: the same rank
  EXPECT_EQ(env_errors(pmix), "");
}

// --- issue 10: counts have ranges; arithmetic is checked ---------------------------

TEST(Counts, LaunchEnvironmentRefusesBadCounts) {
  // AWS Batch with 0 nodes (old: SIGFPE / "nodes = 0"), an index beyond the count (old: wrapped).
  EXPECT_NE(env_errors({{"AWS_BATCH_JOB_NODE_INDEX", "0"}, {"AWS_BATCH_JOB_NUM_NODES", "0"}})
                .find("AWS_BATCH_JOB_NUM_NODES = 0"),
            std::string::npos);
  const std::string beyond = env_errors({{"AWS_BATCH_JOB_NODE_INDEX", "5"}, {"AWS_BATCH_JOB_NUM_NODES", "2"},
                                         {"AWS_BATCH_JOB_MAIN_NODE_INDEX", "1"},
                                         {"AWS_BATCH_JOB_MAIN_NODE_PRIVATE_IPV4_ADDRESS", "10.0.0.1"}});
  EXPECT_NE(beyond.find("AWS_BATCH_JOB_NODE_INDEX = 5"), std::string::npos) << beyond;
  EXPECT_NE(env_errors({{"AWS_BATCH_JOB_NODE_INDEX", "0"}, {"AWS_BATCH_JOB_NUM_NODES", "2"},
                        {"AWS_BATCH_JOB_MAIN_NODE_INDEX", "2"}})
                .find("AWS_BATCH_JOB_MAIN_NODE_INDEX"),
            std::string::npos);
  // Negative and overflowing counts, ranks beyond sizes.
  EXPECT_NE(env_errors({{"SLURM_JOB_ID", "1"}, {"SLURM_NODEID", "0"}, {"SLURM_STEP_NUM_NODES", "-3"}}).find("-3"),
            std::string::npos);
  EXPECT_NE(env_errors({{"OMPI_COMM_WORLD_RANK", "0"}, {"OMPI_COMM_WORLD_SIZE", "4294967298"}}).find("4294967298"),
            std::string::npos);
  EXPECT_NE(env_errors({{"OMPI_COMM_WORLD_RANK", "4"}, {"OMPI_COMM_WORLD_SIZE", "4"}}).find("below"),
            std::string::npos);
  EXPECT_NE(env_errors({{"MASTER_ADDR", "a"}, {"RANK", "0"}, {"WORLD_SIZE", "6"}, {"LOCAL_WORLD_SIZE", "4"}})
                .find("LOCAL_WORLD_SIZE"),
            std::string::npos);
  EXPECT_NE(env_errors({{"MASTER_ADDR", "a"}, {"NODE_RANK", "0"}, {"MASTER_PORT", "70000"}}).find("MASTER_PORT"),
            std::string::npos);
}

TEST(Counts, PlanRefusesHugeValuesWithoutCrashing) {
  const std::string conf = "conf/hf_llama3_70B_config.yaml";
  // huge micro_batch_size (old: SIGFPE through a product wrapping to zero)
  EXPECT_NE(config_errors(conf, {"data.micro_batch_size=4611686018427387904"}, 16)
                .find("data.micro_batch_size"),
            std::string::npos);
  // micro_batch_size (2^40, within the plan's own range) times DP 2^28 wrapped to 0 and
  // divided by it: SIGFPE in old code. Refused with the figure instead.
  const std::string fpe = config_errors("conf/tiny_llama_native.yaml",
                                        {"launch.nodes=65536", "trainer.devices=4096", "data.micro_batch_size=1099511627776",
                                         "data.global_batch_size=1099511627776"},
                                        std::nullopt);
  EXPECT_NE(fpe.find("data.micro_batch_size = 1099511627776"), std::string::npos) << fpe;
  // TP*PP*CP beyond 64 bits; TP 4294967298 (old: planned as TP 2)
  const std::string big = "distributed_strategy.tensor_model_parallel_size=";
  EXPECT_NE(config_errors(conf, {big + "4294967298"}, 16).find("4294967298"), std::string::npos);
  EXPECT_NE(config_errors(conf, {big + "1048576", "distributed_strategy.pipeline_model_parallel_size=1048576",
                                 "distributed_strategy.context_parallel_size=1048576", "++model.fusions.ring_attention=true"},
                          16)
                .find("TP*PP*CP"),
            std::string::npos);
  // sbatch --nodes -3 through the config
  EXPECT_NE(config_errors(conf, {"launch.nodes=-3"}, std::nullopt).find("launch.nodes = -3"), std::string::npos);
  EXPECT_NE(config_errors(conf, {"trainer.num_nodes=-3", "~launch.nodes"}, std::nullopt).find("trainer.num_nodes = -3"),
            std::string::npos);
  EXPECT_NE(env_errors({}, -3).find("nodes = -3"), std::string::npos);
}

// --- B4-B6: ports outside the ephemeral range, file limit ---------------------------

TEST(Ports, DefaultsOutsideLinuxEphemeralRange) {
  EphemeralPorts linux_default;
  ASSERT_TRUE(parse_ephemeral_ports("32768\t60999\n", "\n", &linux_default));
  EXPECT_EQ(unreserved_ephemeral_overlap(kDefaultMasterPorts, linux_default), 0u);
  EXPECT_EQ(unreserved_ephemeral_overlap(kDefaultRootCommPorts, linux_default), 0u);
  EXPECT_LT(kDefaultMasterPorts.hi, kDefaultRootCommPorts.lo);
  EphemeralPorts reserved;
  ASSERT_TRUE(parse_ephemeral_ports("32768 60999", "41000-41499,41500\n", &reserved));
  EXPECT_EQ(unreserved_ephemeral_overlap({41000, 41999}, reserved), 499u);
  EphemeralPorts bad;
  EXPECT_FALSE(parse_ephemeral_ports("60999 32768", "", &bad));
  EXPECT_FALSE(parse_ephemeral_ports("1 2", "5-x", &bad));
}

TEST(Ports, PlanWarnsOnUnreservedOverlapWithTheSysctlFix) {
  PlanInputs in = make_inputs("conf/hf_llama3_70B_config.yaml", {"launch.ports.master=41000-41999"}, {}, 16);
  ASSERT_TRUE(parse_ephemeral_ports("32768 60999", "", &in.ephemeral));
  Plan p = make_plan(in);
  ASSERT_EQ(p.warnings.size(), 1u);
  EXPECT_NE(p.warnings[0].find("net.ipv4.ip_local_reserved_ports=41000-41999"), std::string::npos) << p.warnings[0];
  EXPECT_NE(p.warnings[0].find("admin kit"), std::string::npos);
  EXPECT_NE(plan_to_table(p).find("warning"), std::string::npos);
  ASSERT_TRUE(parse_ephemeral_ports("32768 60999", "41000-41999", &in.ephemeral));
  EXPECT_TRUE(make_plan(in).warnings.empty());
  in.env["NEURON_RT_ROOT_COMM_ID"] = "10.0.0.1:46123";  // the plugin's port, inside the range
  EXPECT_EQ(make_plan(in).warnings.size(), 1u);
}

TEST(FileLimit, SoftRaisedToHardWarnWhenHardTooLow) {
  EXPECT_EQ(plan_file_limit(1024, 1048576).soft, 1048576u);
  EXPECT_EQ(plan_file_limit(1024, 1048576).warning, "");
  const FileLimitChange low = plan_file_limit(1024, 4096);
  EXPECT_EQ(low.soft, 4096u);
  EXPECT_NE(low.warning.find("LimitNOFILE"), std::string::npos);
  EXPECT_EQ(plan_file_limit(1024, RLIM_INFINITY).soft, RLIM_INFINITY);
  EXPECT_EQ(raise_file_limit().find("could not"), std::string::npos);
  struct rlimit lim;
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &lim), 0);
  EXPECT_EQ(lim.rlim_cur, lim.rlim_max);
}

}  // namespace
}  // namespace trn
