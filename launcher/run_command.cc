// `trn-train run` (what srun runs): plan this task, check that the backend's
// programs exist, write the effective config into the node's log folder, then start
// the backend under supervision (launcher/supervise.h): its output is teed to the
// node's console log, signals are forwarded, and its exit status is ours. A COMPILE=1
// run also fails when its compile summary reports failed graphs, whatever the tool's
// exit status (launcher/compile_summary.h). With collect-then-compile the COMPILE=1
// backend only collects the graphs and `run` then starts `trn-train neuron-compile`
// (launcher/neuron_compile.h); a COMPILE=0 Neuron run first checks that the cache is
// warm (launcher/warm_cache.h).
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "common/fs.h"
#include "common/process_identity.h"
#include "launcher/backend_programs.h"
#include "launcher/commands.h"
#include "launcher/compile_summary.h"
#include "launcher/errors.h"
#include "launcher/file_limit.h"
#include "launcher/neuron_compile.h"
#include "launcher/supervise.h"
#include "launcher/warm_cache.h"

namespace trn {

int run_command(const CommonOptions& opts) {
  LoadedConfig cfg;
  const EnvMap env = current_environment();
  const Plan p = build_plan(opts, env, &cfg);
  Problems problems;
  if (p.master_addr.empty()) {
    problems.push_back({"master_addr", "(unknown)",
                        "a multi-node run needs a launch environment (srun, mpirun, AWS Batch or torchrun variables); "
                        "use `srun trn-train run` inside the allocation"});
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
  const char* path = std::getenv("PATH");
  const Problems missing = check_backend_programs(p, path ? path : "/bin:/usr/bin");
  problems.insert(problems.end(), missing.begin(), missing.end());
  // A COMPILE=0 Neuron run first looks at what the precompile left (launcher/warm_cache.h).
  WarmCacheVerdict warm;
  if (!p.compile && p.backend != Backend::kNative && cfg.launch.require_warm_cache != WarmCachePolicy::kOff) {
    const std::string compiler = find_program("neuronx-cc", path ? path : "/bin:/usr/bin");
    const std::string version = compiler.empty() ? "" : installed_neuronxcc_version(compiler);
    warm = judge_warm_cache(count_cache_graphs(p.cache.dir), p.cache.dir,
                            version.empty() ? "" : "neuronxcc-" + version, cfg.launch.require_warm_cache);
    if (warm.problem) problems.push_back(*warm.problem);
  }
  throw_if_any(problems);

  // Per-restart, per-node folder, like train_setup.sh's logs/<job>/<restart>/<node>/:
  // the console log and the effective config. The experiment folder is elsewhere
  // and the same for every node and restart (backend_command.h).
  const auto writable = [&](const std::string& why) {
    return InputError({{"launch.log_dir", p.log_dir, why + " (set launch.log_dir or the site log_dir to a writable place)"}});
  };
  if (std::string why; !make_dirs(p.log_dir, 0775, &why)) throw writable(why);
  // What ran is on disk for every run; the native backend reads exactly this file.
  if (std::string why; !write_file_atomic(p.effective_config, effective_config_text(cfg), 0644, &why)) throw writable(why);
  const std::string log_path = p.log_dir + "log";
  const int log_fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) throw writable(log_path + ": " + std::strerror(errno));

  // Warnings never stop a run. They go to the node's log, once per node. On the
  // console, where all nodes' output meets, a warning that is the same on every node
  // (from the config and the shared cache) is printed once, by node 0 (4 nodes printed
  // each line 4 times); one about this node's own settings (the open-file limit) is
  // printed by each node that has it, naming the node, since it may be the only one.
  const std::string file_limit = raise_file_limit();  // every rank: each process has its own limit
  const auto emit = [&](const std::string& line, bool to_console) {
    if (to_console) std::fputs(line.c_str(), stderr);
    if (::write(log_fd, line.data(), line.size()) < 0) {
      // best effort, as below
    }
  };
  if (p.local_rank == 0) {
    for (const auto& r : warm.report) emit("trn-train: " + r + "\n", p.node_rank == 0);
    std::vector<std::string> warnings = p.warnings;
    if (!warm.warning.empty()) warnings.push_back(warm.warning);
    for (const auto& w : warnings) emit("trn-train: warning: " + w + "\n", p.node_rank == 0);
    if (!file_limit.empty())
      emit("trn-train: warning: node " + ProcessIdentity::self().host + ": " + file_limit + "\n", true);
  }
  for (const auto& [k, v] : p.env) setenv(k.c_str(), v.c_str(), 1);
  std::fflush(nullptr);
  CompileSummaryParser parser;
  std::function<void(std::string_view)> watch;
  if (p.compile) watch = [&parser](std::string_view chunk) { parser.feed(chunk); };
  SuperviseResult r = supervise(p.command, log_fd, watch);
  if (r.status == 0 && p.compile && p.backend == Backend::kNxdt &&
      cfg.launch.neuron_compile == NeuronCompile::kCollectThenCompile) {
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
  if (!verdict.empty()) {
    std::fputs(verdict.c_str(), stderr);
    if (::write(log_fd, verdict.data(), verdict.size()) < 0) {
      // the console has it; a full log disk is not a reason to change the job's status
    }
  }
  ::close(log_fd);
  return status;
}

}  // namespace trn
