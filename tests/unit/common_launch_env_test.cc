// Issue 19, the launch environments (defects 4, 5, 7, 8, 9, 11): what each launcher's
// variables mean to the plan, with the upstream file each fact comes from named where
// the code uses it. The argv and environment a worker finally sees in every layout are
// pinned by launcher_golden_test.cc (Layouts).
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <string>
#include <vector>

#include "common/launch_env.h"
#include "common/net_interfaces.h"
#include "launcher/errors.h"
#include "launcher/plan/plan.h"
#include "launcher/plan/script_path.h"
#include "tests/unit/temp_dir.h"

namespace trn {
namespace {

std::string problems_of(const EnvMap& env, const std::string& fqdn, LaunchEnv* le) {
  Problems problems;
  read_launch_env(env, std::nullopt, fqdn, le, &problems);
  std::string out;
  for (const auto& p : problems) out += p.str() + "\n";
  return out;
}

// What InputError says, or "" when the plan is made.
std::string plan_error(const PlanInputs& in, Plan* out = nullptr) {
  try {
    Plan p = make_plan(in);
    if (out) *out = p;
    return "";
  } catch (const InputError& e) {
    std::string out;
    for (const auto& q : e.problems()) out += q.str() + "\n";
    return out;
  }
}

PlanInputs nxdt_inputs(const EnvMap& env, const std::string& fqdn = "") {
  PlanInputs in;
  in.config = load_config("conf/hf_llama3_8B_config.yaml", {}, in.site);
  in.catalog = load_instance_catalog("conf/instances.yaml");
  in.env = env;
  in.launch = detect_launch_env(env, std::nullopt, fqdn);
  in.resolve = [](const std::string& h) { return h == "localhost" ? "127.0.0.1" : "10.1.1.1"; };
  return in;
}

const EnvMap kOperatorRank1{{"OMPI_COMM_WORLD_RANK", "1"}, {"OMPI_COMM_WORLD_SIZE", "4"},
                            {"OMPI_COMM_WORLD_LOCAL_RANK", "0"}, {"OMPI_COMM_WORLD_LOCAL_SIZE", "1"},
                            {"PMIX_NAMESPACE", "prterun-launcher-41@1"}};
const char* kPod = "test-mpi-train-worker-1.test-mpi-train.default.svc";

// Defect 7: nodelist_helper.py's hosts from the pod's own name.
TEST(MpiOperator, HostsFromThePodName) {
  std::string job;
  EXPECT_EQ(mpi_operator_hosts(kPod, 3, &job),
            (std::vector<std::string>{"test-mpi-train-worker-0.test-mpi-train.default.svc",
                                      "test-mpi-train-worker-1.test-mpi-train.default.svc",
                                      "test-mpi-train-worker-2.test-mpi-train.default.svc"}));
  EXPECT_EQ(job, "test-mpi-train");
  // Greedy like the helper's regex: the rightmost "-worker-<digits>".
  EXPECT_EQ(mpi_operator_hosts("a-worker-b-worker-12", 2, &job), (std::vector<std::string>{"a-worker-b-worker-0", "a-worker-b-worker-1"}));
  EXPECT_TRUE(mpi_operator_hosts("trn1-st-1", 2, &job).empty());
  EXPECT_TRUE(mpi_operator_hosts("x-worker-", 2, &job).empty());
}

// Defect 7: hosts, a job id of its own, CCOM_SOCKET_IFNAME, and `run` gets a master
// (old: no hosts, job "0", no interface, "a multi-node run needs a launch environment").
TEST(MpiOperator, MasterJobIdAndSocketInterface) {
  LaunchEnv le;
  EnvMap env = kOperatorRank1;
  env["POD_UID"] = "6f1c2a7e-0b1d";
  ASSERT_EQ(problems_of(env, kPod, &le), "");
  EXPECT_EQ(le.hosts.size(), 4u);
  EXPECT_EQ(le.hosts.front(), "test-mpi-train-worker-0.test-mpi-train.default.svc");
  EXPECT_EQ(le.job_id, "6f1c2a7e-0b1d");  // the seed manifest's -x POD_UID
  EXPECT_EQ(le.socket_ifname, "eth0");
  env.erase("POD_UID");
  ASSERT_EQ(problems_of(env, kPod, &le), "");
  EXPECT_EQ(le.job_id, "prterun-launcher-41@1");  // Open MPI's id of this mpirun
  env.erase("PMIX_NAMESPACE");
  ASSERT_EQ(problems_of(env, kPod, &le), "");
  EXPECT_EQ(le.job_id, "test-mpi-train");
  // train_setup.sh's condition: its Slurm branch wins when SLURM_NNODES is set.
  env["SLURM_NNODES"] = "4";
  ASSERT_EQ(problems_of(env, kPod, &le), "");
  EXPECT_EQ(le.socket_ifname, "");

  Plan p;
  ASSERT_EQ(plan_error(nxdt_inputs(kOperatorRank1, kPod), &p), "");
  EXPECT_EQ(p.master_host, "test-mpi-train-worker-0.test-mpi-train.default.svc");
  EXPECT_EQ(p.master_addr, "10.1.1.1");
  EXPECT_EQ(p.env.at("CCOM_SOCKET_IFNAME"), "eth0");
  EXPECT_EQ(p.env.at("NEMO_EXPM_VERSION"), "prterun-launcher-41@1");
  // mpirun outside Slurm with nothing naming the nodes: exit 2 saying what to pass, not
  // "needs a launch environment".
  const std::string why = plan_error(nxdt_inputs(kOperatorRank1, "node7"));
  EXPECT_NE(why.find("MASTER_ADDR = (unset): mpirun outside Slurm on 4 nodes names no master"), std::string::npos) << why;
}

// Defect 8: the Batch main node's address from its interface (llama_batch_training.sh: eth0).
TEST(AwsBatch, MainNodeAddressFromItsInterface) {
  const Ipv4Interface lo{"lo", "127.0.0.1", true, true}, eth0{"eth0", "10.0.3.7", true, false},
      ens5{"ens5", "10.0.9.9", true, false}, docker{"docker0", "172.17.0.1", false, false},
      eth0_down{"eth0", "10.0.3.7", false, false};
  EXPECT_EQ(choose_reachable_ipv4({lo, ens5, eth0})->address, "10.0.3.7");
  EXPECT_EQ(choose_reachable_ipv4({lo, docker, ens5})->address, "10.0.9.9");
  EXPECT_EQ(choose_reachable_ipv4({lo, eth0_down, ens5})->name, "ens5");
  EXPECT_FALSE(choose_reachable_ipv4({lo, docker}));
  EXPECT_FALSE(choose_reachable_ipv4({{"eth0", "127.0.1.1", true, true}}));

  const EnvMap main_node{{"AWS_BATCH_JOB_NODE_INDEX", "0"}, {"AWS_BATCH_JOB_NUM_NODES", "4"},
                         {"AWS_BATCH_JOB_MAIN_NODE_INDEX", "0"}, {"AWS_BATCH_JOB_ID", "abc#0"}};
  PlanInputs in = nxdt_inputs(main_node);
  in.resolve = [](const std::string&) -> std::string { return "127.0.0.1"; };  // a host name mapped to loopback
  in.interfaces = {lo, docker, eth0};
  Plan p;
  ASSERT_EQ(plan_error(in, &p), "");
  EXPECT_EQ(p.master_addr, "10.0.3.7");
  EXPECT_EQ(p.env.at("CCOM_SOCKET_IFNAME"), "eth0");
  in.interfaces = {lo};
  const std::string why = plan_error(in);
  EXPECT_NE(why.find("AWS_BATCH_JOB_MAIN_NODE_INDEX = 0 (this main node): has no interface other nodes can reach "
                     "(lo 127.0.0.1)"),
            std::string::npos)
      << why;
}

// Defect 9: a PyTorchJob pod is one launcher per node (training-operator envvar.go).
TEST(PyTorchJob, PodIsANode) {
  const EnvMap pod{{"MASTER_ADDR", "llama-master-0"}, {"MASTER_PORT", "23456"}, {"WORLD_SIZE", "4"},
                   {"RANK", "2"}, {"PET_NODE_RANK", "2"}, {"PET_NNODES", "4"}, {"PYTHONUNBUFFERED", "1"}};
  LaunchEnv le;
  ASSERT_EQ(problems_of(pod, "", &le), "");
  EXPECT_EQ(le.kind, LaunchKind::kPyTorchJob);
  EXPECT_FALSE(le.per_worker);
  EXPECT_EQ(le.nodes, 4);
  EXPECT_EQ(le.node_rank, 2);
  EXPECT_EQ(le.job_id, "llama");
  Plan p;
  ASSERT_EQ(plan_error(nxdt_inputs(pod), &p), "");  // old: "tasks per node = 1: ... use srun"
  EXPECT_EQ(p.command[0], "torchrun");
  EXPECT_EQ(p.master_port, 23456);
  EXPECT_EQ(p.world_size, 128);
  // Without a Master replica's PET_* (nprocPerNode unset): WORLD_SIZE counts pods.
  ASSERT_EQ(problems_of({{"MASTER_ADDR", "j-master-0"}, {"WORLD_SIZE", "3"}, {"RANK", "1"}}, "", &le), "");
  EXPECT_EQ(le.nodes, 3);
  EXPECT_EQ(le.node_rank, 1);
  // nprocPerNode: WORLD_SIZE = pods x nproc.
  ASSERT_EQ(problems_of({{"MASTER_ADDR", "j-master-0"}, {"WORLD_SIZE", "64"}, {"RANK", "1"},
                         {"PET_NPROC_PER_NODE", "32"}}, "", &le), "");
  EXPECT_EQ(le.nodes, 2);
  EXPECT_NE(problems_of({{"MASTER_ADDR", "j-master-0"}, {"WORLD_SIZE", "4"}, {"RANK", "0"}, {"PET_NNODES", "1:4"}}, "", &le)
                .find("PET_NNODES = 1:4: is a range"),
            std::string::npos);
  // A torchrun worker (LOCAL_RANK, TORCHELASTIC_RUN_ID) is still one worker.
  ASSERT_EQ(problems_of({{"MASTER_ADDR", "h"}, {"WORLD_SIZE", "4"}, {"RANK", "1"}, {"LOCAL_RANK", "1"},
                         {"LOCAL_WORLD_SIZE", "2"}, {"TORCHELASTIC_RUN_ID", "r"}}, "", &le), "");
  EXPECT_EQ(le.kind, LaunchKind::kTorchrun);
  EXPECT_TRUE(le.per_worker);
}

// Defect 4: where the per-worker layout cannot form torchrun's world exactly, exit 2
// with the srun line that works.
TEST(PerWorker, RefusedWhereNotExact) {
  auto task = [](int procid, int local, const std::string& cores) {
    return EnvMap{{"SLURM_JOB_ID", "7"}, {"SLURM_STEP_ID", "0"}, {"SLURM_STEP_NUM_NODES", "2"},
                  {"SLURM_STEP_NODELIST", "n[1-2]"}, {"SLURM_NODEID", "1"}, {"SLURM_PROCID", std::to_string(procid)},
                  {"SLURM_LOCALID", std::to_string(local)}, {"SLURM_STEP_NUM_TASKS", "64"},
                  {"SLURM_STEP_TASKS_PER_NODE", "32(x2)"}, {"NEURON_RT_VISIBLE_CORES", cores}};
  };
  Plan p;
  ASSERT_EQ(plan_error(nxdt_inputs(task(37, 5, "5")), &p), "");
  EXPECT_EQ(p.env.at("NEURON_RT_VISIBLE_CORES"), "0-31");  // torch-xla takes [5]: core 5
  EXPECT_EQ(p.env.at("TORCHELASTIC_RUN_ID"), "none");
  std::string why = plan_error(nxdt_inputs(task(37, 5, "0-31")));  // launcher/plan's cores-vs-layout check
  EXPECT_NE(why.find("NEURON_RT_VISIBLE_CORES = 0-31"), std::string::npos) << why;
  why = plan_error(nxdt_inputs(task(37, 5, "3")));  // a core below the local rank: no range can keep it
  EXPECT_NE(why.find("NEURON_RT_VISIBLE_CORES = 3 (this task's, local rank 5 of 32)"), std::string::npos) << why;
  EXPECT_NE(why.find("srun --ntasks-per-node=1 trn-train run"), std::string::npos) << why;
  why = plan_error(nxdt_inputs(task(2 * 1 + 32 - 30, 5, "5")));  // cyclic placement: rank 4 on node 1
  EXPECT_NE(why.find("torchrun would give this worker rank 37"), std::string::npos) << why;
  EXPECT_NE(why.find("srun --ntasks-per-node=32 --distribution=block trn-train run"), std::string::npos) << why;
}

// Defect 11: train_setup.sh's values win, as in the seed's jobs, with one warning line
// naming each replaced value (old: the stale user value won silently).
TEST(UpstreamValues, ReplacedWithOneWarning) {
  EnvMap env{{"FI_PROVIDER", "tcp"}, {"MALLOC_ARENA_MAX", "64"}, {"HYDRA_FULL_ERROR", "1"}};
  PlanInputs in = nxdt_inputs({});
  in.launch = detect_launch_env({}, 4);
  in.env = env;
  Plan p;
  ASSERT_EQ(plan_error(in, &p), "");
  EXPECT_EQ(p.env.at("FI_PROVIDER"), "efa");
  EXPECT_EQ(p.env.at("MALLOC_ARENA_MAX"), "128");
  int lines = 0;
  for (const auto& w : p.warnings) {
    if (w.find("train_setup.sh") == std::string::npos) continue;
    ++lines;
    EXPECT_NE(w.find("FI_PROVIDER=tcp -> efa, MALLOC_ARENA_MAX=64 -> 128"), std::string::npos) << w;
    EXPECT_EQ(w.find("HYDRA_FULL_ERROR"), std::string::npos) << "the same value is not a replacement: " << w;
  }
  EXPECT_EQ(lines, 1);
}

// Defect 5: the orchestrator's places, pure; then the filesystem probe.
TEST(ScriptPath, CandidatesAndProbe) {
  EXPECT_EQ(script_candidates("/opt/nxdt/examples/training_orchestrator.py", "/x/conf", "/w"),
            (std::vector<std::string>{"/opt/nxdt/examples/training_orchestrator.py"}));
  EXPECT_EQ(script_candidates("training_orchestrator.py", "/nxdt/examples/conf", "/home/u/run"),
            (std::vector<std::string>{"/nxdt/examples/conf/training_orchestrator.py",
                                      "/nxdt/examples/training_orchestrator.py", "/home/u/run/training_orchestrator.py"}));
  EXPECT_EQ(script_candidates("t.py", "/cfgs", "/cfgs"), (std::vector<std::string>{"/cfgs/t.py"}));
  std::string found;
  Problem why;
  auto only = [](const std::string& ok) {
    return [ok](const std::string& p) { return p == ok ? ScriptProbe{true, ""} : ScriptProbe{false, "no such file"}; };
  };
  const auto places = script_candidates("training_orchestrator.py", "/nxdt/examples/conf", "/home/u/run");
  ASSERT_TRUE(find_script("training_orchestrator.py", places, only("/nxdt/examples/training_orchestrator.py"), &found, &why));
  EXPECT_EQ(found, "/nxdt/examples/training_orchestrator.py");
  ASSERT_FALSE(find_script("training_orchestrator.py", places, only("/elsewhere"), &found, &why));
  EXPECT_EQ(why.key, "launch.script");
  for (const auto& place : places) EXPECT_NE(why.fix.find(place + " (no such file)"), std::string::npos) << why.fix;

  test::TempDir dir;
  std::ofstream(dir.path + "/t.py") << "print()\n";
  ::mkdir((dir.path + "/d.py").c_str(), 0755);
  EXPECT_TRUE(probe_script_file(dir.path + "/t.py").ok);
  EXPECT_EQ(probe_script_file(dir.path + "/d.py").why, "not a regular file");
  EXPECT_FALSE(probe_script_file(dir.path + "/none.py").ok);
}

}  // namespace
}  // namespace trn
