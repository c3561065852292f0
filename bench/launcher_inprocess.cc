// In-process launcher benchmark: what one task pays to plan a 4096-node Slurm step
// (hostlist and tasks-per-node parsing, launch-env detection, validation, env and
// argv), against what today's scripts pay per rank: one `scontrol show hostnames`
// process on the same list, measured in the same run. Also the cost of naming all
// 4096 hosts, which only `plan --json` output needs. Prints medians and ratios.
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "common/hostlist.h"
#include "launcher/commands/commands.h"
#include "launcher/plan/config_loader.h"
#include "launcher/plan/instance_catalog.h"
#include "launcher/plan/launch_env.h"
#include "launcher/plan/plan.h"

extern char** environ;

namespace {

using Clock = std::chrono::steady_clock;

template <typename F>
double median_ms(int reps, F&& f) {
  std::vector<double> t;
  for (int i = 0; i < reps; ++i) {
    const auto a = Clock::now();
    f();
    t.push_back(std::chrono::duration<double, std::milli>(Clock::now() - a).count());
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  const std::string top = argc > 1 ? argv[1] : ".";
  const std::string list = "trn1-st-trn1-[0001-4096]";
  trn::EnvMap env = {{"SLURM_JOB_ID", "77"},           {"SLURM_STEP_ID", "0"},
                     {"SLURM_NODEID", "17"},           {"SLURM_PROCID", "17"},
                     {"SLURM_LOCALID", "0"},           {"SLURM_STEP_NODELIST", list},
                     {"SLURM_STEP_NUM_NODES", "4096"}, {"SLURM_STEP_TASKS_PER_NODE", "1(x4096)"},
                     {"SLURM_STEP_NUM_TASKS", "4096"}, {"SLURM_JOB_NODELIST", list}};

  std::vector<std::string> hosts;
  std::string err;
  const double expand = median_ms(200, [&] {
    trn::HostList parsed;
    if (parsed.parse(list, &err)) hosts = parsed.expand();
  });

  trn::PlanInputs in;
  in.env = env;
  in.config = trn::load_config(top + "/conf/hf_llama3_70B_config.yaml", {"trainer.num_nodes=4096"}, in.site);
  in.catalog = trn::load_instance_catalog(top + "/conf/instances.yaml");
  in.bindir = "/usr/bin";
  in.resolve = [](const std::string&) { return std::string("10.0.0.1"); };
  size_t world = 0;
  const double plan = median_ms(200, [&] {
    in.launch = trn::detect_launch_env(env, std::nullopt);
    world = static_cast<size_t>(trn::make_plan(in).world_size);
  });

  // The same plan for a 1-node list: the part of planning that does not grow with the node count.
  trn::EnvMap env1 = env;
  env1["SLURM_STEP_NODELIST"] = env1["SLURM_JOB_NODELIST"] = "trn1-st-trn1-0001";
  env1["SLURM_STEP_NUM_NODES"] = "1", env1["SLURM_STEP_TASKS_PER_NODE"] = "1", env1["SLURM_STEP_NUM_TASKS"] = "1";
  env1["SLURM_NODEID"] = env1["SLURM_PROCID"] = "0";
  trn::PlanInputs in1 = in;
  in1.env = env1;
  in1.config = trn::load_config(top + "/conf/hf_llama3_70B_config.yaml", {"trainer.num_nodes=1"}, in1.site);
  const double plan1 = median_ms(200, [&] {
    in1.launch = trn::detect_launch_env(env1, std::nullopt);
    try { trn::make_plan(in1); } catch (...) {}  // 1 node is too few for TP32 PP8: the rules still run
  });

  const char* args[] = {"scontrol", "show", "hostnames", list.c_str(), nullptr};
  posix_spawn_file_actions_t quiet;
  posix_spawn_file_actions_init(&quiet);
  posix_spawn_file_actions_addopen(&quiet, 1, "/dev/null", O_WRONLY, 0);
  const double scontrol = median_ms(30, [&] {
    pid_t pid;
    if (posix_spawnp(&pid, "scontrol", &quiet, nullptr, const_cast<char**>(args), environ) == 0) {
      int st;
      waitpid(pid, &st, 0);
    }
  });

  std::printf("all 4096 names expanded (in process, for --json):  %8.3f ms  (%zu hosts)\n", expand, hosts.size());
  std::printf("planning + hostlist, 4096-node step (in process):  %8.3f ms  (world %zu)  target < 5 ms\n", plan, world);
  std::printf("  (the plan parses the hostlist once and names only the hosts it needs: the master, this node)\n");
  std::printf("planning, 1-node step (in process, fixed cost):     %8.3f ms\n", plan1);
  std::printf("scontrol show hostnames, same list (per process):  %8.3f ms\n", scontrol);
  std::printf("ratio scontrol / (planning + hostlist): %.0fx  target > 100x\n", scontrol / plan);
  std::printf("ratio scontrol / full expansion:        %.0fx\n", scontrol / expand);
  return 0;
}
