// Golden tests (issue 9 item 6): the argv and the environment a worker finally sees
// for the published NxDT configs, node 0 and node N-1, COMPILE 0 and 1, compared with
// tests/fixtures/golden/<case>.txt.
//
// A worker's environment is replayed from documented rules, the same replay for both sides:
//   ours      the simulated srun task's environment, then the plan's env as `run` sets it
//             (setenv, overwrite), then training_orchestrator.py's process_config(), then
//             torchrun's per-worker variables for local rank 0;
//   upstream  the same task environment through train_setup.sh (SLURM branch) and
//             train.sh, then the same orchestrator and torchrun replays.
// Upstream = aws-neuron/neuronx-distributed-training examples/{train.sh,train_setup.sh,
// training_orchestrator.py} (Neuron SDK 2.26 tree); torchrun's variables:
// https://pytorch.org/docs/stable/elastic/run.html#environment-variables.
//
// Every golden line is ours; a line whose value differs from upstream carries
// "  # upstream: <value> [Dn]", and a variable only upstream has is a
// "# upstream only:" line. Dn names the reason in README.md ("Deliberate differences");
// the test fails on a difference with no reason, so none can slip in unreviewed.
// TRN_GOLDEN_UPDATE=1 rewrites the files (keeping each line's reason; new ones get [D?]).
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "common/fs.h"
#include "launcher/commands/worker_command.h"
#include "launcher/plan/plan.h"

namespace trn {
namespace {

using Env = std::map<std::string, std::string>;
using Items = std::vector<std::pair<std::string, std::string>>;  // key -> value, in file order

struct Case {
  std::string conf;  // under conf/
  int nodes;
  const char* host_prefix;
  int node;
  bool compile;
  std::string name() const {
    return conf + ".n" + std::to_string(nodes) + ".node" + std::to_string(node) + ".compile" + (compile ? "1" : "0");
  }
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.name(); }

const char* kJob = "4242";
std::string ip_of(int i) { return "10.0.0." + std::to_string(i + 1); }

// What srun gives the one task per node of `sbatch -N<nodes>` (train.sh's launch shape).
Env task_env(const Case& c) {
  const std::string n = std::to_string(c.nodes);
  Env e{{"SLURM_JOB_ID", kJob},
        {"SLURM_STEP_ID", "0"},
        {"SLURM_NNODES", n},
        {"SLURM_STEP_NUM_NODES", n},
        {"SLURM_STEP_NODELIST", std::string(c.host_prefix) + "[1-" + n + "]"},
        {"SLURM_JOB_NODELIST", std::string(c.host_prefix) + "[1-" + n + "]"},
        {"SLURM_NODEID", std::to_string(c.node)},
        {"SLURM_PROCID", std::to_string(c.node)},
        {"SLURM_LOCALID", "0"},
        {"SLURM_NTASKS", n},
        {"SLURM_STEP_NUM_TASKS", n},
        {"SLURM_STEP_TASKS_PER_NODE", "1(x" + n + ")"},
        {"SLURM_RESTART_COUNT", "0"}};
  if (c.compile) e["COMPILE"] = "1";  // the tutorial: COMPILE=1 sbatch ... train.sh
  return e;
}

// training_orchestrator.py process_config(): set_env_variable(name, value, append, overwrite=False).
void replay_orchestrator(const config::Document& doc, Env* env) {
  Problems ignored;
  auto set = [&](const std::string& k, const std::string& v, bool append = false) {
    auto it = env->find(k);
    if (append && it != env->end() && !it->second.empty()) it->second += " " + v;
    else if (it == env->end()) (*env)[k] = v;
  };
  auto str = [&](const char* key) { return doc.get_string(key, &ignored).value_or("None"); };
  auto flag = [&](const char* key) { return doc.get_bool(key, &ignored).value_or(false); };
  if (flag("model.fusions.softmax")) set("NEURON_FUSE_SOFTMAX", "1");
  set("NEURON_EXPERIMENTAL_COMPRESS_RG", flag("neuron_experimental_compress_rg") ? "1" : "0");
  set("NEURON_RT_ASYNC_EXEC_MAX_INFLIGHT_REQUESTS", str("aync_exec_max_inflight_requests"));
  set("BUCKET_CAP_MB", str("bucket_size_collectives"));
  set("NEURON_COMPILE_CACHE_URL", str("compiler_cache_url"));
  set("NEURON_CC_FLAGS", str("compiler_flags"), true);
  set("NEURON_RT_EXEC_TIMEOUT", str("neuron_rt_exec_timeout"));
  const std::string prec = str("precision.type");
  ASSERT_EQ(prec, "mixed_precision") << "the replay covers the precision of the golden configs only";
  set("XLA_USE_BF16", "0");
  set("XLA_DOWNCAST_BF16", "1");
  set("NEURON_RT_STOCHASTIC_ROUNDING_EN", "0");
  set("NEURON_CC_FLAGS", "--enable-mixed-precision-accumulation", true);
}

// torchrun (static rendezvous, as train.sh runs it) sets these for each worker it starts
// (torch distributed/elastic/agent/server/local_elastic_agent.py _start_workers; run id
// "none": torchrun's --rdzv_id default; the agent holds the store), and exports
// OMP_NUM_THREADS=1 for nproc_per_node > 1 when unset (torch distributed/run.py).
void replay_torchrun(const std::vector<std::string>& argv, Env* env, int local_rank = 0) {
  std::map<std::string, std::string> opt;
  for (size_t i = 0; i + 1 < argv.size(); ++i)
    if (argv[i].rfind("--", 0) == 0 && argv[i].find('=') == std::string::npos) opt[argv[i]] = argv[i + 1];
  const int procs = std::stoi(opt["--nproc_per_node"]), nodes = std::stoi(opt["--nnodes"]);
  const int node = std::stoi(opt["--node_rank"]);
  Env& e = *env;
  if (procs > 1 && !e.count("OMP_NUM_THREADS")) e["OMP_NUM_THREADS"] = "1";
  e["RANK"] = e["ROLE_RANK"] = std::to_string(node * procs + local_rank);
  e["LOCAL_RANK"] = std::to_string(local_rank);
  e["GROUP_RANK"] = std::to_string(node);
  e["ROLE_NAME"] = "default";
  e["WORLD_SIZE"] = e["ROLE_WORLD_SIZE"] = std::to_string(nodes * procs);
  e["GROUP_WORLD_SIZE"] = std::to_string(nodes);
  e["LOCAL_WORLD_SIZE"] = std::to_string(procs);
  e["MASTER_ADDR"] = opt["--master_addr"];
  e["MASTER_PORT"] = opt["--master_port"];
  e["TORCHELASTIC_RESTART_COUNT"] = "0";
  e["TORCHELASTIC_MAX_RESTARTS"] = "0";
  e["TORCHELASTIC_RUN_ID"] = "none";
  e["TORCHELASTIC_USE_AGENT_STORE"] = "True";
  if (!e.count("TORCH_NCCL_ASYNC_ERROR_HANDLING")) e["TORCH_NCCL_ASYNC_ERROR_HANDLING"] = "1";
}

// train_setup.sh (SLURM branch) + train.sh, as published.
void upstream(const Case& c, const LoadedConfig& cfg, std::vector<std::string>* argv, Env* env) {
  Problems ignored;
  const std::string devices = std::to_string(cfg.doc.get_int("trainer.devices", 1, 4096, &ignored).value_or(0));
  const std::string n = std::to_string(c.nodes), node = std::to_string(c.node);
  *env = task_env(c);
  Env& e = *env;
  e["FI_EFA_USE_DEVICE_RDMA"] = "1";
  e["FI_PROVIDER"] = "efa";
  e["FI_EFA_FORK_SAFE"] = "1";
  e["NEMO_EXPM_VERSION"] = kJob;
  e["EXPLICIT_LOGDIR"] = "null";
  e["XLA_DISABLE_FUNCTIONALIZATION"] = "0";
  e["HYDRA_FULL_ERROR"] = "1";
  e["MASTER_ADDR"] = ip_of(0);
  e["MASTER_PORT"] = "41000";
  e["MALLOC_ARENA_MAX"] = "128";
  e["CREATE_TB_LOGGER"] = "True";
  e["CHECKPOINT_CALLBACK"] = "True";
  e["PROCESSES_PER_NODE"] = devices;
  e["DISTRIBUTED_ARGS"] = "--nproc_per_node " + devices + " --nnodes " + n + " --node_rank " + node +
                          " --master_addr " + ip_of(0) + " --master_port 41000";
  argv->clear();
  if (c.compile) argv->push_back("neuron_parallel_compile");
  argv->insert(argv->end(), {"torchrun", "--nproc_per_node", devices, "--nnodes", n, "--node_rank", node,
                             "--master_addr", ip_of(0), "--master_port", "41000", "training_orchestrator.py",
                             "--config-path=conf", "--config-name=" + cfg.name, "trainer.devices=" + devices,
                             "trainer.num_nodes=" + n, "exp_manager.explicit_log_dir=null"});
  replay_orchestrator(cfg.doc, env);
  replay_torchrun(*argv, env);
}

// argv as keyed items: the wrapper, the program, torchrun's options, the script, its arguments.
Items argv_items(const std::vector<std::string>& argv) {
  Items out;
  size_t i = 0;
  std::string wrapper;
  auto launcher = [](const std::string& a) { return a == "torchrun" || a == "python3"; };
  if (!argv.empty() && argv[0] == "neuron_parallel_compile")
    while (i < argv.size() && !launcher(argv[i])) wrapper += (wrapper.empty() ? "" : " ") + argv[i++];
  if (!wrapper.empty()) out.push_back({"argv wrapper", wrapper});
  const bool has_script = i < argv.size() && launcher(argv[i]);
  if (i < argv.size()) out.push_back({"argv program", argv[i++]});
  const std::string options = i > 0 && argv[i - 1] == "torchrun" ? "argv torchrun " : "argv ";
  for (; i + 1 < argv.size() && argv[i].rfind("--", 0) == 0 && argv[i].find('=') == std::string::npos; i += 2) {
    if (argv[i] == "--no-python") {  // torchrun's one flag without a value here
      out.push_back({options + argv[i], ""});
      --i;
      continue;
    }
    out.push_back({options + argv[i], argv[i + 1]});
  }
  if (has_script && i + 1 < argv.size() && argv[i] == "-m") {  // python3 -m MODULE
    out.push_back({"argv module", argv[i + 1]});
    i += 2;
  } else if (has_script && i < argv.size()) {
    out.push_back({"argv script", argv[i++]});
  }
  for (; i < argv.size(); ++i) {
    const auto eq = argv[i].find('=');
    out.push_back({"argv " + argv[i].substr(0, eq), eq == std::string::npos ? "" : argv[i].substr(eq + 1)});
  }
  return out;
}

// The checkout's location (absolute --config-path) as <repo>, so the files hold anywhere.
void relative_to_repo(Items* items) {
  char buf[4096];
  const std::string repo = ::getcwd(buf, sizeof buf) ? buf : "";
  if (repo.empty()) return;
  for (auto& [k, v] : *items) {
    if (v.rfind(repo + "/", 0) == 0) v = "<repo>" + v.substr(repo.size());
    if (const auto at = k.find(repo + "/"); at != std::string::npos) k.replace(at, repo.size(), "<repo>");
  }
}

// What the launch stack added or changed: every variable not as the task had it.
Items env_items(const Env& task, const Env& final_env) {
  Items out;
  for (const auto& [k, v] : final_env) {
    auto it = task.find(k);
    if (it == task.end() || it->second != v) out.push_back({"env " + k, v});
  }
  return out;
}

const std::string kUpstream = "  # upstream: ", kUpstreamOnly = "# upstream only: ";

// The reasons already recorded in a golden file, by key.
std::map<std::string, std::string> reasons_in(const std::string& text) {
  std::map<std::string, std::string> out;
  std::istringstream in(text);
  // "<key> = <value>  # upstream: <value> [D<n>]": the key before the first " = ", the
  // tag in the last brackets (plain string search: std::regex trips GCC 12's
  // -Wmaybe-uninitialized in the sanitizer build).
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(kUpstreamOnly, 0) == 0) line = line.substr(kUpstreamOnly.size());
    const auto eq = line.find(" = "), open = line.rfind(" [D");
    if (eq == std::string::npos || open == std::string::npos || open < eq || line.back() != ']') continue;
    const std::string tag = line.substr(open + 2, line.size() - open - 3);
    if (tag.find_first_not_of("D0123456789?") != std::string::npos || tag.size() < 2) continue;
    out[line.substr(0, eq)] = tag;
  }
  return out;
}

std::string render(const Case& c, const Items& ours, const Items& theirs, const std::map<std::string, std::string>& why) {
  std::map<std::string, std::string> up(theirs.begin(), theirs.end());
  auto reason = [&](const std::string& k) {
    auto it = why.find(k);
    return " [" + (it == why.end() ? std::string("D?") : it->second) + "]";
  };
  std::string out = "# Golden: " + c.name() + " (tests/unit/launcher_golden_test.cc).\n"
                    "# Each line is what the worker gets from trn-train; '# upstream:' gives train.sh's value where\n"
                    "# it differs, with its reason in README.md (Deliberate differences).\n"
                    "# Regenerate: TRN_GOLDEN_UPDATE=1 <build>/tests/launcher_tests --gtest_filter='Golden*'\n";
  std::set<std::string> seen;
  for (const auto& [k, v] : ours) {
    seen.insert(k);
    out += k + " = " + v;
    auto it = up.find(k);
    if (it == up.end()) out += kUpstream + "(unset)" + reason(k);
    else if (it->second != v) out += kUpstream + it->second + reason(k);
    out += "\n";
  }
  for (const auto& [k, v] : theirs)
    if (!seen.count(k)) out += kUpstreamOnly + k + " = " + v + reason(k) + "\n";
  return out;
}

std::string line_diff(const std::string& want, const std::string& got) {
  std::istringstream a(want), b(got);
  std::set<std::string> la, lb;
  for (std::string l; std::getline(a, l);) la.insert(l);
  for (std::string l; std::getline(b, l);) lb.insert(l);
  std::string out;
  for (const auto& l : la) if (!lb.count(l)) out += "- " + l + "\n";
  for (const auto& l : lb) if (!la.count(l)) out += "+ " + l + "\n";
  return out;
}

class Golden : public ::testing::TestWithParam<Case> {};

TEST_P(Golden, WorkerArgvAndEnvironment) {
  const Case& c = GetParam();
  const Env task = task_env(c);
  PlanInputs in;
  in.config = load_config("conf/" + c.conf + ".yaml", {}, in.site);
  in.catalog = load_instance_catalog("conf/instances.yaml");
  in.env = EnvMap(task.begin(), task.end());
  in.launch = detect_launch_env(in.env, std::nullopt);
  in.compile = c.compile;
  in.bindir = "/opt/trn-train/bin";
  in.resolve = [&](const std::string& host) {
    for (int i = 0; i < c.nodes; ++i)
      if (host == c.host_prefix + std::to_string(i + 1)) return ip_of(i);
    return host;
  };
  const Plan p = make_plan(in);

  Env ours = task;
  for (const auto& [k, v] : p.env) ours[k] = v;
  replay_orchestrator(in.config.doc, &ours);
  replay_torchrun(p.command, &ours);
  std::vector<std::string> up_argv;
  Env up_env;
  upstream(c, in.config, &up_argv, &up_env);

  Items mine = argv_items(p.command), theirs = argv_items(up_argv);
  const Items me = env_items(task, ours), them = env_items(task, up_env);
  relative_to_repo(&mine);
  mine.insert(mine.end(), me.begin(), me.end());
  theirs.insert(theirs.end(), them.begin(), them.end());

  const std::string path = "tests/fixtures/golden/" + c.name() + ".txt";
  std::ifstream f(path);
  std::stringstream old;
  old << f.rdbuf();
  const std::string got = render(c, mine, theirs, reasons_in(old.str()));
  if (std::getenv("TRN_GOLDEN_UPDATE")) {
    std::string why;
    ASSERT_TRUE(write_file_atomic(path, got, 0644, &why)) << why;
  } else {
    EXPECT_TRUE(old.str() == got) << path << " differs (- golden, + now); if the change is meant, rerun with "
                              << "TRN_GOLDEN_UPDATE=1 and give every new difference its reason:\n"
                              << line_diff(old.str(), got);
  }
  // Every difference from upstream has a reason, and the README names it.
  std::ifstream readme_file("README.md");
  std::stringstream readme;
  readme << readme_file.rdbuf();
  for (const auto& [key, d] : reasons_in(got)) {
    EXPECT_NE(d, "D?") << path << ": " << key << " differs from upstream with no reason";
    EXPECT_NE(readme.str().find("(" + d + ")"), std::string::npos) << "README.md does not explain " << d;
  }
}

// The torchneuron backend (no orchestrator): the same topology and compile flags, but
// neither PyTorch/XLA's nor NxDT's variables, and no XLA-wrapper --cache_dir.
TEST(TorchNeuron, SameTopologyNoXla) {
  const Case c{"hf_llama3_70B_trn2_config", 8, "trn2-st-", 7, false};
  PlanInputs in;
  in.config = load_config("conf/" + c.conf + ".yaml", {"launch.backend=torchneuron", "launch.script=train_llama.py"}, in.site);
  in.catalog = load_instance_catalog("conf/instances.yaml");
  const Env task = task_env(c);
  in.env = EnvMap(task.begin(), task.end());
  in.launch = detect_launch_env(in.env, std::nullopt);
  const Plan p = make_plan(in);
  const std::vector<std::string> head(p.command.begin(), p.command.begin() + 16);
  EXPECT_EQ(head, (std::vector<std::string>{"torchrun", "--nproc_per_node", "64", "--nnodes", "8", "--node_rank", "7",
                                            "--master_addr", "trn2-st-1", "--master_port", std::to_string(p.master_port),
                                            "--no-python", "/trn-train", "worker", "python3", "train_llama.py"}));
  EXPECT_EQ(p.env.at("NEURON_CC_FLAGS"), "--model-type transformer --enable-mixed-precision-accumulation --lnc=2");
  EXPECT_EQ(p.env.at("NEURON_LOGICAL_NC_CONFIG"), "2");
  EXPECT_EQ(p.env.at("NEURON_COMPILE_CACHE_URL"), "/workspace/neuron_cache");
  for (const char* nxdt_only : {"XLA_USE_BF16", "XLA_DOWNCAST_BF16", "XLA_DISABLE_FUNCTIONALIZATION", "NEMO_EXPM_VERSION",
                                "HYDRA_FULL_ERROR", "CREATE_TB_LOGGER", "CHECKPOINT_CALLBACK"})
    EXPECT_EQ(p.env.count(nxdt_only), 0u) << nxdt_only;
}

std::vector<Case> cases() {
  std::vector<Case> out;
  for (const auto& [conf, nodes, prefix] : {std::tuple{"hf_llama3_70B_config", 16, "trn1-st-"},
                                            {"hf_llama3_70B_trn2_config", 8, "trn2-st-"},
                                            {"hf_llama3_8B_config", 4, "trn1-st-"}}) {
    for (int node : {0, nodes - 1})
      for (bool compile : {false, true}) out.push_back({conf, nodes, prefix, node, compile});
  }
  return out;
}

INSTANTIATE_TEST_SUITE_P(Published, Golden, ::testing::ValuesIn(cases()),
                         [](const auto& info) {
                           std::string n = info.param.name();
                           for (char& ch : n) if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           return n;
                         });


// ---- Every launch layout (issue 19): the argv and the environment one worker finally
// sees, for the nxdt, torchneuron and native stacks, pinned in
// tests/fixtures/golden/layout.<stack>.<layout>.txt. The worker is node 1, local rank L (nxdt: 5 of 32
// on trn1; torchneuron: 5 of 64 on trn2; native: 1 of 2) of 4 nodes.
// A worker's environment: the task's (the launcher's variables, and the plugin's one
// NEURON_RT_VISIBLE_CORES for the task), then the plan's env as `run` sets it, then for
// nxdt training_orchestrator.py's process_config(), torchrun's worker variables (where
// torchrun starts the workers) and torch-xla's Neuron plugin (below).

// torch-xla's Neuron plugin at import (pytorch/xla torch_xla/_internal/neuron.py
// configure_pjrt_environment, neuron_utils.py remap_visible_cores): the root comm id, and
// only under torch-elastic (TORCHELASTIC_RUN_ID set) the PJRT multi-process variables and
// this worker's core. A remap torch-xla refuses is recorded as "torch-xla error".
void replay_torch_xla(Env* env) {
  Env& e = *env;
  auto get = [&](const char* k, const char* d) { return e.count(k) ? e[k] : std::string(d); };
  if (!e.count("NEURON_RT_ROOT_COMM_ID")) e["NEURON_RT_ROOT_COMM_ID"] = get("MASTER_ADDR", "localhost") + ":62182";
  if (!e.count("TORCHELASTIC_RUN_ID")) return;
  if (!e.count("NEURON_PJRT_PROCESSES_NUM_DEVICES") && !e.count("NEURON_PJRT_WORLD_SIZE")) {
    e["NEURON_PJRT_WORLD_SIZE"] = get("WORLD_SIZE", "1");
    e["PJRT_LOCAL_PROCESS_COUNT"] = get("LOCAL_WORLD_SIZE", "1");
  }
  const int local = std::stoi(get("LOCAL_RANK", "0")), local_world = std::stoi(get("LOCAL_WORLD_SIZE", "1"));
  if (get("NEURON_RT_VISIBLE_CORES", "").empty()) {
    e["NEURON_RT_VISIBLE_CORES"] = get("LOCAL_RANK", "0");
  } else {
    std::vector<int> cores;
    std::istringstream list(e["NEURON_RT_VISIBLE_CORES"]);
    for (std::string part; std::getline(list, part, ',');) {
      const auto dash = part.find('-');
      const int lo = std::stoi(part.substr(0, dash)), hi = dash == std::string::npos ? lo : std::stoi(part.substr(dash + 1));
      for (int c = lo; c <= hi; ++c) cores.push_back(c);
    }
    const int count = static_cast<int>(cores.size());
    if (count <= 1 && local_world == 1) {
    } else if (local_world != count || local >= count) {
      e["torch-xla error"] = "LOCAL_WORLD_SIZE " + std::to_string(local_world) + " is not the count " +
                             std::to_string(count) + " of NEURON_RT_VISIBLE_CORES";
    } else {
      e["NEURON_RT_VISIBLE_CORES"] = std::to_string(cores[static_cast<size_t>(local)]);
    }
  }
  e["NEURON_PJRT_PROCESS_INDEX"] = get("RANK", "0");
  e["PJRT_LOCAL_PROCESS_RANK"] = get("LOCAL_RANK", "0");
}

struct Layout {
  std::string stack;   // nxdt | native
  std::string layout;
  std::string name() const { return stack + "." + layout; }
};

void PrintTo(const Layout& l, std::ostream* os) { *os << l.name(); }

constexpr int kLayoutNodes = 4, kWorkerNode = 1;
// nxdt: trn1 (32 per node); torchneuron: trn2 at LNC 2 (64 per node); native: 2 CPU ranks.
int procs_of(const std::string& stack) { return stack == "nxdt" ? 32 : stack == "torchneuron" ? 64 : 2; }
int local_of(const std::string& stack) { return stack == "native" ? 1 : 5; }

// What each launcher gives the process that runs `trn-train run` for the worker.
Env layout_env(const Layout& l, std::string* fqdn, std::vector<Ipv4Interface>* interfaces) {
  const std::string n = std::to_string(kLayoutNodes), node = std::to_string(kWorkerNode);
  const int procs = procs_of(l.stack), local = local_of(l.stack);
  Env slurm{{"SLURM_JOB_ID", kJob},          {"SLURM_STEP_ID", "0"},
            {"SLURM_NNODES", n},             {"SLURM_STEP_NUM_NODES", n},
            {"SLURM_STEP_NODELIST", "trn1-st-[1-4]"}, {"SLURM_JOB_NODELIST", "trn1-st-[1-4]"},
            {"SLURM_NODEID", node},          {"SLURM_RESTART_COUNT", "0"}};
  const std::string all_cores = "0-" + std::to_string(procs - 1);
  if (l.layout == "srun-per-node") {
    slurm.insert({{"SLURM_PROCID", node}, {"SLURM_LOCALID", "0"}, {"SLURM_NTASKS", n}, {"SLURM_STEP_NUM_TASKS", n},
                  {"SLURM_STEP_TASKS_PER_NODE", "1(x" + n + ")"}, {"NEURON_RT_VISIBLE_CORES", all_cores}});
    return slurm;
  }
  if (l.layout == "srun-per-worker") {
    const std::string world = std::to_string(kLayoutNodes * procs);
    slurm.insert({{"SLURM_PROCID", std::to_string(kWorkerNode * procs + local)}, {"SLURM_LOCALID", std::to_string(local)},
                  {"SLURM_NTASKS", world}, {"SLURM_STEP_NUM_TASKS", world},
                  {"SLURM_STEP_TASKS_PER_NODE", std::to_string(procs) + "(x" + n + ")"},
                  {"NEURON_RT_VISIBLE_CORES", std::to_string(local)}});  // the plugin: one core per task
    return slurm;
  }
  const Env ompi{{"OMPI_COMM_WORLD_RANK", node}, {"OMPI_COMM_WORLD_SIZE", n}, {"OMPI_COMM_WORLD_LOCAL_RANK", "0"},
                 {"OMPI_COMM_WORLD_LOCAL_SIZE", "1"}, {"PMIX_RANK", node}, {"PMIX_NAMESPACE", "prterun-launcher-41@1"}};
  if (l.layout == "mpirun-in-slurm") {  // mpirun --map-by ppr:1:node inside sbatch -N4
    Env e{{"SLURM_JOB_ID", kJob}, {"SLURM_NNODES", n}, {"SLURM_JOB_NODELIST", "trn1-st-[1-4]"},
          {"SLURM_NODEID", "0"},  {"SLURM_STEP_ID", "0"}, {"SLURM_PROCID", "0"}, {"SLURM_RESTART_COUNT", "0"}};
    e.insert(ompi.begin(), ompi.end());
    return e;
  }
  if (l.layout == "mpi-operator") {  // the EKS seed: MPIJob test-mpi-train, mpirun -np 4 -x POD_UID
    *fqdn = "test-mpi-train-worker-1.test-mpi-train.default.svc";
    Env e = ompi;
    e["POD_UID"] = "6f1c2a7e-0b1d-4c55-9a1e-3d2f7b8c9e01";
    return e;
  }
  if (l.layout == "torchrun-env") return {{"MASTER_ADDR", "10.0.0.1"}, {"MASTER_PORT", "29500"}, {"NNODES", n},
                                          {"NODE_RANK", node}, {"TRN_TRAIN_JOB_ID", "run-7"}};
  const Env batch{{"AWS_BATCH_JOB_NUM_NODES", n}, {"AWS_BATCH_JOB_MAIN_NODE_INDEX", "0"},
                  {"AWS_BATCH_JOB_ID", "8c1e7f2a-1234-4cde-9f00-aa11bb22cc33#"}};
  if (l.layout == "batch-main") {
    Env e = batch;
    e["AWS_BATCH_JOB_NODE_INDEX"] = "0";
    e["AWS_BATCH_JOB_ID"] += "0";
    *interfaces = {{"lo", "127.0.0.1", true, true}, {"docker0", "172.17.0.1", false, false}, {"eth0", "10.0.0.1", true, false}};
    return e;
  }
  if (l.layout == "batch-child") {
    Env e = batch;
    e["AWS_BATCH_JOB_NODE_INDEX"] = node;
    e["AWS_BATCH_JOB_ID"] += node;
    e["AWS_BATCH_JOB_MAIN_NODE_PRIVATE_IPV4_ADDRESS"] = "10.0.0.1";
    return e;
  }
  // A Kubeflow PyTorchJob pod (training-operator envvar.go): Master + 3 Workers; worker-0 is RANK 1.
  return {{"MASTER_ADDR", "llama-pretrain-master-0"}, {"MASTER_PORT", "23456"}, {"PET_MASTER_ADDR", "llama-pretrain-master-0"},
          {"PET_MASTER_PORT", "23456"}, {"WORLD_SIZE", n}, {"RANK", node}, {"PET_NODE_RANK", node},
          {"PET_NNODES", n}, {"PYTHONUNBUFFERED", "1"}};
}

struct Worker {
  Plan plan;
  Env task, env;
};

Worker layout_worker(const Layout& l) {
  Worker w;
  std::string fqdn;
  std::vector<Ipv4Interface> interfaces;
  w.task = layout_env(l, &fqdn, &interfaces);
  PlanInputs in;
  const bool nxdt = l.stack == "nxdt", torchneuron = l.stack == "torchneuron";
  in.config = nxdt          ? load_config("conf/hf_llama3_8B_config.yaml", {}, in.site)
              : torchneuron ? load_config("conf/torchtitan_llama3_8B_trn2.yaml", {}, in.site)
                            : load_config("conf/tiny_llama_native.yaml",
                                          {"trainer.devices=2", "data.global_batch_size=16",
                                           "launch.instance=trn1.32xlarge", "launch.allow_devices_mismatch=true",
                                           "launch.procs_per_node=2"},
                                          in.site);
  in.catalog = load_instance_catalog("conf/instances.yaml");
  in.env = EnvMap(w.task.begin(), w.task.end());
  in.launch = detect_launch_env(in.env, std::nullopt, fqdn);
  in.interfaces = interfaces;
  in.bindir = "/opt/trn-train/bin";
  in.resolve = [](const std::string& host) {
    for (int i = 0; i < kLayoutNodes; ++i) {
      if (host == "trn1-st-" + std::to_string(i + 1) ||
          host == "test-mpi-train-worker-" + std::to_string(i) + ".test-mpi-train.default.svc")
        return ip_of(i);
    }
    return host == "llama-pretrain-master-0" ? ip_of(0) : host;
  };
  w.plan = make_plan(in);
  w.env = w.task;
  for (const auto& [k, v] : w.plan.env) w.env[k] = v;
  const auto& argv = w.plan.command;
  if (torchneuron) {
    // torchrun starts `trn-train worker`, which keeps the one core its local rank picks.
    if (std::find(argv.begin(), argv.end(), "torchrun") == argv.end()) return w;
    replay_torchrun(argv, &w.env, local_of(l.stack));
    Problems problems;
    const auto core = worker_core(EnvMap(w.env.begin(), w.env.end()), &problems);
    if (core) w.env["NEURON_RT_VISIBLE_CORES"] = std::to_string(*core);
    for (const auto& p : problems) w.env["trn-train worker error"] = p.str();
    return w;
  }
  if (!nxdt) return w;
  replay_orchestrator(in.config.doc, &w.env);
  if (std::find(argv.begin(), argv.end(), "torchrun") != argv.end()) replay_torchrun(argv, &w.env, local_of(l.stack));
  replay_torch_xla(&w.env);
  return w;
}

class Layouts : public ::testing::TestWithParam<Layout> {};

TEST_P(Layouts, WorkerArgvAndEnvironment) {
  const Layout& l = GetParam();
  const Worker w = layout_worker(l);
  Items items = argv_items(w.plan.command);
  const Items env = env_items(w.task, w.env);
  items.insert(items.end(), env.begin(), env.end());
  relative_to_repo(&items);
  std::string got = "# Golden: layout " + l.name() + " (tests/unit/launcher_golden_test.cc, Layouts).\n"
                    "# argv and environment of node " + std::to_string(w.plan.node_rank) + "'s worker (local rank " +
                    std::to_string(local_of(l.stack)) +
                    "), every variable not as the launcher gave it; then the plan's warnings.\n"
                    "# Regenerate: TRN_GOLDEN_UPDATE=1 <build>/tests/launcher_tests --gtest_filter='*Layouts*'\n";
  for (const auto& [k, v] : items) got += k + " = " + v + "\n";
  for (const auto& warning : w.plan.warnings) got += "warning = " + warning + "\n";
  const std::string path = "tests/fixtures/golden/layout." + l.name() + ".txt";
  std::ifstream f(path);
  std::stringstream old;
  old << f.rdbuf();
  if (std::getenv("TRN_GOLDEN_UPDATE")) {
    std::string why;
    ASSERT_TRUE(write_file_atomic(path, got, 0644, &why)) << why;
  } else {
    EXPECT_TRUE(old.str() == got) << path << " differs (- golden, + now):\n" << line_diff(old.str(), got);
  }
  EXPECT_EQ(w.env.count("torch-xla error"), 0u) << w.env.at("torch-xla error");
  EXPECT_EQ(w.env.count("trn-train worker error"), 0u) << w.env.at("trn-train worker error");
  if (l.stack == "torchneuron") {  // TorchNeuron: exactly one core per process, the worker's own
    EXPECT_EQ(w.env.at("NEURON_RT_VISIBLE_CORES"), std::to_string(local_of(l.stack))) << l.name();
  }
}

std::vector<Layout> layouts() {
  std::vector<Layout> out;
  for (const char* stack : {"nxdt", "torchneuron", "native"})
    for (const char* layout : {"srun-per-node", "srun-per-worker", "mpirun-in-slurm", "mpi-operator", "torchrun-env",
                               "batch-main", "batch-child", "pytorchjob"})
      out.push_back({stack, layout});
  return out;
}

INSTANTIATE_TEST_SUITE_P(EveryLaunch, Layouts, ::testing::ValuesIn(layouts()), [](const auto& info) {
  std::string n = info.param.name();
  for (char& ch : n) if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
  return n;
});

// Defect 4: one Slurm task per worker forms the world torchrun forms for the same worker
// (the variables torchrun, Lightning's TorchElasticEnvironment and torch-xla's Neuron
// plugin read, after torch-xla ran), and keeps the plugin's core. Old: no
// TORCHELASTIC_RUN_ID, so torch-xla set no PJRT variable: a world of one per process.
TEST(Layouts, PerWorkerFormsTheTorchrunWorld) {
  const Worker node = layout_worker({"nxdt", "srun-per-node"}), worker = layout_worker({"nxdt", "srun-per-worker"});
  for (const char* k : {"RANK", "LOCAL_RANK", "WORLD_SIZE", "LOCAL_WORLD_SIZE", "GROUP_RANK", "GROUP_WORLD_SIZE",
                        "ROLE_RANK", "ROLE_WORLD_SIZE", "ROLE_NAME", "MASTER_ADDR", "MASTER_PORT", "TORCHELASTIC_RUN_ID",
                        "TORCHELASTIC_RESTART_COUNT", "TORCHELASTIC_MAX_RESTARTS", "NEURON_PJRT_WORLD_SIZE",
                        "PJRT_LOCAL_PROCESS_COUNT", "NEURON_PJRT_PROCESS_INDEX", "PJRT_LOCAL_PROCESS_RANK",
                        "NEURON_RT_VISIBLE_CORES", "NEURON_RT_ROOT_COMM_ID", "OMP_NUM_THREADS"}) {
    ASSERT_TRUE(node.env.count(k)) << k;
    EXPECT_EQ(worker.env.count(k) ? worker.env.at(k) : "(unset)", node.env.at(k)) << k;
  }
  EXPECT_EQ(worker.env.at("NEURON_RT_VISIBLE_CORES"), "5");  // the plugin's core for local rank 5
  EXPECT_EQ(worker.env.at("TORCHELASTIC_USE_AGENT_STORE"), "False");  // no agent: rank 0 opens the store
  EXPECT_EQ(worker.plan.command[0], "python3");
}

}  // namespace
}  // namespace trn
