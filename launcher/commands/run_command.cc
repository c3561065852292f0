// `trn-train run` (what srun runs): plan this task, check that the backend's
// programs exist, write the effective config into the node's log folder, then start
// the backend under supervision (launcher/commands/supervise.h): its output is teed to the
// node's console log, signals are forwarded, and its exit status is ours. A COMPILE=1
// run also fails when its compile summary reports failed graphs, whatever the tool's
// exit status (launcher/neuron/compile_summary.h). With collect-then-compile the COMPILE=1
// backend only collects the graphs and `run` then starts `trn-train neuron-compile`
// (launcher/neuron/neuron_compile.h); a COMPILE=0 Neuron run first checks that the cache is
// warm (launcher/neuron/warm_cache.h).
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "common/fs.h"
#include "common/process_identity.h"
#include "launcher/commands/backend_programs.h"
#include "launcher/commands/commands.h"
#include "launcher/neuron/compile_summary.h"
#include "launcher/errors.h"
#include "launcher/commands/file_limit.h"
#include "launcher/commands/node_log.h"
#include "launcher/commands/node_warnings.h"
#include "launcher/neuron/job_graphs.h"
#include "launcher/neuron/neuron_compile.h"
#include "launcher/commands/supervise.h"
#include "launcher/heal/run_healing.h"
#include "launcher/neuron/warm_cache.h"
#include "launcher/plan/input_files.h"

namespace trn {

namespace {

// nxdt: the graphs its COMPILE=1 job recorded for this config and shape (job_graphs.h);
// TorchNeuron, which has no COMPILE=1 job: every graph of the compiler's folder.
WarmCacheVerdict judge_warm_cache_of(const Plan& p, const LoadedConfig& cfg, const std::string& installed_dir) {
  const std::string& root = p.cache.dir;
  if (p.backend == Backend::kTorchNeuron)
    return judge_warm_cache(count_cache_graphs(root), root, installed_dir, cfg.launch.require_warm_cache, p.backend);
  const std::string key = config_graph_key(p, cfg);
  GraphScope scope{GraphScope::kConfig, config_graphs_path(root, key), ""};
  const auto graphs = read_config_graphs(root, key, &scope.why);
  if (!graphs) scope.kind = GraphScope::kUnknown;
  return judge_warm_cache(graphs ? count_listed_graphs(root, *graphs) : std::vector<CompilerGraphs>{}, root,
                          installed_dir, cfg.launch.require_warm_cache, p.backend, scope);
}

// What must hold before anything starts: a master, a restart count below the limit,
// the backend's programs, and (COMPILE=0 on Neuron) a warm enough cache.
Problems check_startable(const Plan& p, const LoadedConfig& cfg, const std::string& path, WarmCacheVerdict* warm) {
  Problems problems;
  // Only a standalone plan can lack a master (inside mpirun, Batch or a PyTorchJob
  // planning names it or refuses: plan_compute.cc plan_master).
  if (p.master_addr.empty()) {
    problems.push_back({"master_addr", "(unknown)",
                        "a multi-node run needs a launch environment (srun, mpirun, AWS Batch, a PyTorchJob or "
                        "torchrun variables); use `srun trn-train run` inside the allocation"});
  }
  // The orchestrator, found before any worker starts (launcher/plan/script_path.h).
  if (p.backend == Backend::kNxdt) {
    if (auto script = check_nxdt_script(cfg)) problems.push_back(*script);
  }
  // A job that Slurm keeps requeueing (a node that fails again and again) stops here
  // instead of looping through the queue forever.
  if (p.restart_count > cfg.launch.max_restarts) {
    problems.push_back({"SLURM_RESTART_COUNT", std::to_string(p.restart_count),
                        "this job was requeued more than launch.max_restarts = " +
                            std::to_string(cfg.launch.max_restarts) +
                            " times; find why its runs end (logs/" + p.job_id + "/<restart>/<node>/log), then "
                            "raise launch.max_restarts or submit it again"});
  }
  const Problems missing = check_backend_programs(p, path);
  problems.insert(problems.end(), missing.begin(), missing.end());
  // A COMPILE=0 Neuron run first looks at what the precompile left (launcher/neuron/warm_cache.h).
  if (!p.compile && p.backend != Backend::kNative && cfg.launch.require_warm_cache != WarmCachePolicy::kOff) {
    const std::string compiler = find_program("neuronx-cc", path);
    const std::string version = compiler.empty() ? "" : installed_neuronxcc_version(compiler);
    *warm = judge_warm_cache_of(p, cfg, version.empty() ? "" : "neuronxcc-" + version);
    if (warm->problem) problems.push_back(*warm->problem);
  }
  return problems;
}

// Per-restart, per-node folder, like train.sh's logs/<job>/<restart>/<node>/, opened
// without following links and only when it is the user's (launcher/commands/node_log.h):
// the console log and the effective config. The experiment folder is elsewhere and the
// same for every node and restart (backend_command.h).
NodeLog open_plan_log(const Plan& p, const LoadedConfig& cfg) {
  const std::string& root = cfg.launch.log_dir;  // p.log_dir is root/<job>/<restart>/<node>/
  std::string rel = p.log_dir.substr(std::min(p.log_dir.size(), root.size() + 1));
  const cache::TrustPolicy trust = cache::TrustPolicy::for_current_user(p.cache.group, nullptr);
  NodeLog log = open_node_log(root, rel, trust);
  // What ran is on disk for every run; the native backend reads exactly this file.
  write_node_file(log, "config.yaml", effective_config_text(cfg));
  return log;
}

// Writes `line` to the node's log (best effort: a full log disk is not a reason to
// change the job's status) and, when asked, to the console.
void emit(int log_fd, const std::string& line, bool to_console) {
  if (to_console) std::fputs(line.c_str(), stderr);
  if (::write(log_fd, line.data(), line.size()) < 0) {
    // the console has it, or node 0's does
  }
}

// Warnings never stop a run. They go to the node's log, once per node. On the
// console, where all nodes' output meets, each is printed once per job by node 0: one
// that is the same on every node (from the config and the shared cache) as it is; one
// about a node's own settings (the open-file limit) with the nodes that have it as a
// host list (launcher/commands/node_warnings.h). 4 nodes printed each line 4 times.
void emit_warnings(const Plan& p, const WarmCacheVerdict& warm, int log_fd) {
  const std::string file_limit = raise_file_limit();  // every rank: each process has its own limit
  if (p.local_rank != 0) return;
  for (const auto& r : warm.report) emit(log_fd, "trn-train: " + r + "\n", p.node_rank == 0);
  std::vector<std::string> warnings = p.warnings;
  if (!warm.warning.empty()) warnings.push_back(warm.warning);
  for (const auto& w : warnings) emit(log_fd, "trn-train: warning: " + w + "\n", p.node_rank == 0);
  const std::string host = ProcessIdentity::self().host;
  std::vector<std::string> mine;
  if (!file_limit.empty()) {
    mine.push_back(file_limit);
    emit(log_fd, "trn-train: warning: node " + host + ": " + file_limit + "\n", false);
  }
  // Node 0 waits at most this long for the other nodes' lines; the backend's first
  // collective waits for every node anyway.
  constexpr int kGatherMs = 5000;
  const std::string dir = p.restart_dir + "node-warnings." + (p.step_id.empty() ? "0" : p.step_id);  // per step
  for (const auto& line : gather_node_warnings(dir, p.node_rank, p.nodes, host, mine, kGatherMs))
    std::fputs(("trn-train: warning: " + line + "\n").c_str(), stderr);
}

// The backend under supervision (and, after a collect-only COMPILE=1, the compile of
// the collected graphs); the exit status, judged by the compile summary as well.
int run_supervised(const Plan& p, const LoadedConfig& cfg, const CommonOptions& opts, int log_fd,
                   RunHealing* healing) {
  CompileSummaryParser parser;
  CollectedGraphsParser collected;  // this task's graphs, as its collect names them (job_graphs.h)
  SuperviseHooks watch;
  if (p.compile) watch.on_output = [&parser, &collected](std::string_view chunk) {
    parser.feed(chunk);
    collected.feed(chunk);
  };
  SuperviseHooks backend_hooks = watch;
  healing->watch(&backend_hooks, log_fd);
  SuperviseResult r = supervise(p.command, log_fd, backend_hooks);
  collected.finish();
  const bool collect_then_compile = p.compile && p.backend == Backend::kNxdt &&
                                    cfg.launch.neuron_compile == NeuronCompile::kCollectThenCompile;
  if (collect_then_compile) {
    // Every task leaves its list, a failed collect included (the others then stop
    // waiting for it); neuron-compile merges them (wait_for_job_graphs).
    const std::string dir = job_graphs_dir(p);
    const int task = p.launch_pattern == LaunchPattern::kPerWorker ? p.task_rank : p.node_rank;
    std::string why;
    if (!write_task_graphs(dir, task, {r.status, ProcessIdentity::self().host, collected.graphs()}, &why))
      emit(log_fd, "trn-train: warning: cannot write this node's collected graphs: " + why + "\n", true);
    ::setenv(kJobGraphsVariable, dir.c_str(), 1);
  } else if (p.compile && p.backend == Backend::kNxdt && p.node_rank == 0 && p.local_rank == 0 &&
             !collected.graphs().empty() && p.cache.dir.rfind("s3://", 0) != 0) {
    // neuron_parallel_compile compiled what its trial run extracted: record those for
    // this config's COMPILE=0 check (node 0's, the graphs are the same on every node).
    std::string why;
    if (!record_config_graphs(p.cache.dir, config_graph_key(p, cfg), "graphs of " + cfg.path + ", job " + p.job_id,
                              collected.graphs(), cache::TrustPolicy::for_current_user(p.cache.group, nullptr), &why))
      emit(log_fd, "trn-train: warning: cannot record this config's graphs: " + why + "\n", true);
  }
  if (r.status == 0 && collect_then_compile) {
    // The graphs are collected; compile each once across all nodes, supervised like the
    // backend (console log, signals, the same summary verdict).
    std::vector<std::string> argv{self_bindir() + "/trn-train", "neuron-compile", "--conf", cfg.path};
    if (!opts.instance.empty()) argv.insert(argv.end(), {"--instance", opts.instance});
    argv.insert(argv.end(), opts.overrides.begin(), opts.overrides.end());
    r = supervise(argv, log_fd, watch);
  }
  std::string verdict;
  if (r.signal != 0) {
    verdict = std::string("trn-train: ") + to_string(p.backend) + " backend stopped by signal " +
              std::to_string(r.signal) + " (" + strsignal(r.signal) + "); exit " + std::to_string(r.status) + "\n";
  }
  int status = r.status;
  if (p.compile) {
    parser.finish();
    if (parser.summary().failed_compilations()) {
      verdict += "trn-train: error: COMPILE = 1: " + describe_failed_compile(parser.summary()) +
                 (r.status == 0 ? "; the compile tool exited 0, the job fails anyway" : "") + "\n";
      if (status == 0) status = 1;
    }
  }
  if (!verdict.empty()) emit(log_fd, verdict, true);
  r.status = status;
  return healing->finish(r);
}

}  // namespace

int run_command(const CommonOptions& opts) {
  // A console that goes away (srun killed, a closed pipe) must not kill us: the backend
  // still runs and its log still gets its lines (supervise() says so too, for the child).
  ::signal(SIGPIPE, SIG_IGN);
  LoadedConfig cfg;
  const EnvMap env = current_environment();
  const Plan p = build_plan(opts, env, &cfg);
  const char* path = std::getenv("PATH");
  WarmCacheVerdict warm;
  throw_if_any(check_startable(p, cfg, path ? path : "/bin:/usr/bin", &warm));
  const NodeLog log = open_plan_log(p, cfg);
  emit_warnings(p, warm, log.log.get());
  RunHealing healing(p, cfg);
  for (const auto& [k, v] : p.env) setenv(k.c_str(), v.c_str(), 1);
  for (const auto& [k, v] : healing.restart_env(log.log.get())) setenv(k.c_str(), v.c_str(), 1);
  std::fflush(nullptr);
  return run_supervised(p, cfg, opts, log.log.get(), &healing);
}

}  // namespace trn
