// `trn-train neuron-compile`: the compile half of collect-then-compile
// (launcher/neuron/neuron_compile.h). `run` starts it, supervised like the backend (console
// log, signals, and the same compile-summary verdict), after `neuron_parallel_compile
// --command collect` exited 0; `srun trn-train neuron-compile --conf X` runs it alone.
//
// The graphs are this job's own (launcher/neuron/job_graphs.h): `run` names the folder of
// its tasks' lists in TRN_TRAIN_COLLECTED_GRAPHS; every node waits for all lists and
// compiles, counts and judges their union only, whatever else the shared cache holds.
// Run alone (no such list), it takes every collected graph of the compiler's folder.
// Every node runs it with the same collected graphs (SPMD). Each node forks one worker
// process per compile slot (the node's cores, or launch.compile_slots); every worker is
// a rank of cache::compile_distributed, whose entry locks make each graph compiled once
// cluster-wide and whose last pass waits for graphs compiled elsewhere. Then this
// process verifies every graph and prints the three summary lines users parse.
#include <pwd.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <set>

#include "cache/compile_cache.h"
#include "common/fs.h"
#include "common/process_identity.h"
#include "launcher/commands/backend_programs.h"
#include "launcher/commands/commands.h"
#include "launcher/errors.h"
#include "launcher/neuron/job_graphs.h"
#include "launcher/neuron/neuron_compile.h"

namespace trn {
namespace {

int cpu_count() {
  cpu_set_t set;
  if (::sched_getaffinity(0, sizeof set, &set) == 0) return std::max(1, CPU_COUNT(&set));
  return std::max(1L, ::sysconf(_SC_NPROCESSORS_ONLN));
}

// neuronx-cc writes its intermediate files into its current folder: each compile gets
// a private one, like the wrapper's /tmp/<user>/neuroncc_compile_workdir/<uuid>/. A
// failed compile is tried again up to `retries` times (NEURON_PARALLEL_COMPILE_MAX_RETRIES).
// `argv_of` maps a graph file to its compiler argv template.
cache::CompileFn neuronx_cc(std::map<std::string, std::vector<std::string>> argv_of, int retries) {
  const char* tmp = std::getenv("TMPDIR");
  const passwd* pw = ::getpwuid(::getuid());
  const std::string work_root = std::string(tmp && *tmp ? tmp : "/tmp") + "/" + (pw ? pw->pw_name : "no-user") +
                                "/neuroncc_compile_workdir";
  return [argv_of, work_root, retries](const cache::CompileRequest& r) {
    const cache::CompileFn run = cache::command_compiler(argv_of.at(r.input_path));
    int rc = 0;
    for (int attempt = 0; attempt <= retries; ++attempt) {
      std::string dir = work_root + "/XXXXXX";
      if (!make_dirs(work_root, 0700, nullptr) || !::mkdtemp(dir.data())) dir.clear();
      char here[4096];
      const bool moved = !dir.empty() && ::getcwd(here, sizeof here) && ::chdir(dir.c_str()) == 0;
      rc = run(r);
      if (moved && ::chdir(here) != 0) return rc == 0 ? 1 : rc;  // cannot happen short of a removed cwd
      if (!dir.empty()) remove_tree(dir);
      if (rc == 0) break;
      if (attempt < retries)
        std::fprintf(stderr, "WARNING %s%s failed (exit %d); retry %d of %d\n", kNeuronCompilePrefix,
                     r.input_path.c_str(), rc, attempt + 1, retries);
    }
    return rc;
  };
}

}  // namespace

namespace {

// The installed compiler and the retry count, or every reason the compile cannot run.
struct CompileTools {
  std::string compiler, version;
  long retries = 0;
};

CompileTools check_compile_tools(const Plan& p) {
  Problems problems;
  CompileTools t;
  const char* path = std::getenv("PATH");
  t.compiler = find_program("neuronx-cc", path ? path : "/bin:/usr/bin");
  if (t.compiler.empty()) {
    problems.push_back({"neuronx-cc", "(not on PATH)",
                        "collect-then-compile compiles the collected graphs with the Neuron compiler: activate the "
                        "SDK's Python environment, or set launch.neuron_compile=parallel_compile"});
  } else if ((t.version = installed_neuronxcc_version(t.compiler)).empty()) {
    problems.push_back({"neuronx-cc", t.compiler,
                        "`neuronx-cc --version` printed no \"Compiler version\"; check the Neuron SDK installation"});
  }
  if (p.cache.dir.rfind("s3://", 0) == 0) {
    problems.push_back({"compile cache", p.cache.dir,
                        "collect-then-compile needs the cache on a filesystem every node mounts; set "
                        "launch.neuron_compile=parallel_compile for an S3 cache"});
  }
  if (const char* v = std::getenv("NEURON_PARALLEL_COMPILE_MAX_RETRIES"); v && *v) {
    char* end = nullptr;
    t.retries = std::strtol(v, &end, 10);
    if (*end || t.retries < 0 || t.retries > 100)
      problems.push_back({"NEURON_PARALLEL_COMPILE_MAX_RETRIES", v, "must be a whole number from 0 to 100"});
  }
  throw_if_any(problems);
  return t;
}

// Forks `workers` ranks of cache::compile_distributed on this node and waits for them.
void run_compile_workers(const Plan& p, const cache::CacheOptions& copt, const std::vector<cache::GraphJob>& graphs,
                         const cache::CompileFn& compile, int workers, int slots) {
  std::vector<pid_t> pids;
  for (int k = 0; k < workers && !graphs.empty(); ++k) {
    const pid_t pid = ::fork();
    if (pid < 0) break;
    if (pid == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGTERM);  // a stopped job leaves no worker compiling
      std::unique_ptr<cache::CompileCache> c;
      std::string err;
      if (!cache::CompileCache::open(copt, &c, &err)) {
        std::fprintf(stderr, "ERROR %s%s\n", kNeuronCompilePrefix, err.c_str());
        std::fflush(stderr);
        ::_exit(1);
      }
      cache::RankInfo me;
      me.rank = p.task_rank * workers + k;
      me.node = p.node_rank;
      me.nodes = p.nodes;
      me.local_rank = p.local_rank * workers + k;
      me.node_name = ProcessIdentity::self().host;
      cache::ScheduleOptions schedule;
      schedule.per_node_parallel = slots;
      schedule.print_summary = false;  // ours, with the prefix, follow the verify pass below
      cache::compile_distributed(*c, graphs, compile, me, schedule);
      c.reset();
      std::fflush(nullptr);
      ::_exit(0);
    }
    pids.push_back(pid);
  }
  for (const pid_t pid : pids) {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
  }
}

// The verify pass: what the cache holds now for every collected graph, whatever the
// workers said; prints the summary lines users parse and returns the exit status.
// `absent`: graphs of this job with no HLO in the cache to compile, failures each.
int verify_compiled(const Plan& p, const cache::CacheOptions& copt, const std::vector<cache::GraphJob>& graphs,
                    const std::vector<std::string>& absent) {
  std::unique_ptr<cache::CompileCache> c;
  std::string err;
  if (!cache::CompileCache::open(copt, &c, &err)) throw InputError({{"compile cache", p.cache.dir, err}});
  int ok = 0, failed = static_cast<int>(absent.size());
  for (const auto& why : absent) std::printf("ERROR %s%s\n", kNeuronCompilePrefix, why.c_str());
  for (const auto& g : graphs) {
    const cache::CacheResult r = c->lookup(g.key);
    if (r.ok()) {
      ++ok;
      continue;
    }
    ++failed;
    const std::string why = r.outcome == cache::Outcome::kCachedFailure ? r.message
                            : !g.unusable.empty()                        ? g.unusable
                                : "compilation failed for " + c->entry_dir(g.key) + ": no compiled graph after the compile "
                                  "(a compile worker was killed?); its log, if any: " + c->entry_dir(g.key) + "/model.log";
    std::printf("ERROR %s%s\n", kNeuronCompilePrefix, why.c_str());
  }
  std::printf("INFO %sTotal graphs: %zu\nINFO %sTotal successful compilations: %d\nINFO %sTotal failed compilations: %d\n",
              kNeuronCompilePrefix, graphs.size() + absent.size(), kNeuronCompilePrefix, ok, kNeuronCompilePrefix, failed);
  std::fflush(nullptr);
  return failed ? 1 : 0;
}

// How long a node waits for the other nodes' lists: their collects run the same
// steps and end within moments of each other, unless launch.log_dir is not shared.
constexpr int kListWaitMs = 10 * 60 * 1000;

// This job's graphs: the union of every task's list (job_graphs.h), or nullopt after
// saying why there is none (a task's collect failed, a list is unreadable). Node 0
// records them for this config's COMPILE=0 warm-cache check.
std::optional<std::set<GraphRef>> this_jobs_graphs(const Plan& p, const LoadedConfig& cfg, const std::string& dir) {
  const int tasks = job_graph_tasks(p);
  const JobGraphs j = wait_for_job_graphs(dir, tasks, kListWaitMs);
  std::vector<std::string> errors = j.failed;
  errors.insert(errors.end(), j.invalid.begin(), j.invalid.end());
  for (const auto& e : errors)
    std::printf("ERROR %s%s; this job compiles nothing (its lists: %s)\n", kNeuronCompilePrefix, e.c_str(), dir.c_str());
  if (!errors.empty()) {
    std::fflush(nullptr);
    return std::nullopt;
  }
  if (!j.missing.empty()) {
    std::string which;
    for (const int t : j.missing) which += (which.empty() ? "" : ", ") + std::to_string(t);
    std::printf("WARNING %sno list of collected graphs from task(s) %s after %d s in %s (is launch.log_dir on a "
                "filesystem every node mounts?); compiling the graphs the others collected\n",
                kNeuronCompilePrefix, which.c_str(), kListWaitMs / 1000, dir.c_str());
  }
  if (j.graphs.empty()) {
    std::printf("WARNING %sthe collect named no graph (no \"Extracting graphs (...)\" line in its output): nothing "
                "to compile\n", kNeuronCompilePrefix);
  } else if (p.node_rank == 0 && p.local_rank == 0 && j.complete()) {
    std::string why;
    if (!record_config_graphs(p.cache.dir, config_graph_key(p, cfg), "graphs of " + cfg.path + ", job " + p.job_id,
                              j.graphs, cache::TrustPolicy::for_current_user(p.cache.group, nullptr), &why))
      std::printf("WARNING %scannot record this config's graphs for its COMPILE=0 check: %s\n", kNeuronCompilePrefix,
                  why.c_str());
  }
  std::fflush(nullptr);
  return j.graphs;
}

// Keeps in *graphs (the cache's collected entries) only this job's; returns why each of
// the job's graphs that has no HLO under this compiler's folder cannot be compiled.
std::vector<std::string> keep_job_graphs(const std::set<GraphRef>& mine, const std::string& root,
                                         const std::string& compiler_dir, std::vector<cache::GraphJob>* graphs) {
  std::set<std::string> found;
  graphs->erase(std::remove_if(graphs->begin(), graphs->end(),
                               [&](const cache::GraphJob& g) {
                                 const std::string module = g.key.module_name();
                                 if (!mine.count(GraphRef{compiler_dir, module})) return true;
                                 found.insert(module);
                                 return false;
                               }),
                graphs->end());
  std::vector<std::string> absent;
  for (const auto& g : mine) {
    if (g.compiler_dir == compiler_dir && found.count(g.module)) continue;
    absent.push_back("compilation failed for " + root + "/" + g.name() + ": this job collected it, but " +
                     (g.compiler_dir == compiler_dir ? "the entry holds no model.hlo_module.pb"
                                                     : "not for the installed compiler (" + compiler_dir + ")"));
  }
  return absent;
}

}  // namespace

int neuron_compile_command(const CommonOptions& opts) {
  LoadedConfig cfg;
  const EnvMap env = current_environment();
  const Plan p = build_plan(opts, env, &cfg);
  const CompileTools tools = check_compile_tools(p);

  const std::string compiler_dir = "neuronxcc-" + tools.version;
  std::vector<cache::GraphJob> graphs = collected_graphs(p.cache.dir, compiler_dir);
  std::vector<std::string> absent;
  if (const char* lists = std::getenv(kJobGraphsVariable); lists && *lists) {
    const std::optional<std::set<GraphRef>> mine = this_jobs_graphs(p, cfg, lists);
    if (!mine) return 1;
    absent = keep_job_graphs(*mine, p.cache.dir, compiler_dir, &graphs);
  }
  std::map<std::string, std::vector<std::string>> argv_of;
  // Each graph's own flags, as its entry's compile_flags.json records them (collected_graphs
  // put them in its key, or marked it unusable: never this process's NEURON_CC_FLAGS).
  for (auto& g : graphs) {
    argv_of[g.path] = neuronx_cc_argv(tools.compiler, to_string(p.platform),
                                      recorded_flags(g.path.substr(0, g.path.rfind('/'))).value_or(std::vector<std::string>{}));
  }
  const int slots = cfg.launch.compile_slots > 0 ? cfg.launch.compile_slots : cpu_count();
  // One task per node (torchrun) forks all the workers; with one task per worker the
  // node's tasks share them (the slot locks bound the node's compilers either way).
  const int tasks = p.launch_pattern == LaunchPattern::kPerWorker ? std::max(1, p.procs_per_node) : 1;
  const int workers = std::max(1, std::min<int>((slots + tasks - 1) / tasks, static_cast<int>(graphs.size())));
  std::printf("INFO %snode %d of %d: %zu graphs collected in %s/%s; compiling each once across all nodes, "
              "%d workers here, at most %d compilers at a time on this node\n",
              kNeuronCompilePrefix, p.node_rank, p.nodes, graphs.size(), p.cache.dir.c_str(), compiler_dir.c_str(),
              workers, slots);
  std::fflush(nullptr);

  cache::CacheOptions copt;
  static_cast<CacheSettings&>(copt) = p.cache;
  run_compile_workers(p, copt, graphs, neuronx_cc(std::move(argv_of), static_cast<int>(tools.retries)), workers, slots);
  return verify_compiled(p, copt, graphs, absent);
}

}  // namespace trn
