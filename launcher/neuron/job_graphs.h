// A Neuron job's own graphs (issue 20): a COMPILE=1 job compiles, counts and judges
// exactly the graphs its own collect extracted, never every entry of the shared cache
// (other users' EMPTY entries of cancelled collects, other jobs' FAILED graphs).
//
// How a job knows them: from what its collect printed, as upstream does.
// torch-neuronx's neuron_parallel_compile (torch_neuronx/parallel_compile/
// neuron_parallel_compile.py, get_hlos_from_run_log) tees the trial run's output and
// compiles the paths of its "Extracting graphs (<path>)" lines; the wrapper prints one
// per graph (aws-neuron-sdk pytorch-neuron-parallel-compile.rst shows the line). `run`
// reads the collect's console the same way while it tees it:
//   1. each task of the job writes its list to launch.log_dir/<job>/<restart>/
//      compile-graphs.<step>/<task> (its collect's exit status, host, graphs);
//   2. `trn-train neuron-compile` (started by `run` with TRN_TRAIN_COLLECTED_GRAPHS naming
//      that folder) waits until every task's list is there and merges them: the job's graphs;
//   3. its node 0 records them for the config and shape (config_graph_key) in the cache's
//      .graphs/<key>, where the COMPILE=0 job of the same config finds them for its
//      warm-cache check (launcher/neuron/warm_cache.h).
// Everything read back is untrusted input: bounded size, every line validated, no link
// followed.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "cache/permissions.h"
#include "launcher/plan/plan.h"

namespace trn {

struct GraphRef {
  std::string compiler_dir;  // "neuronxcc-2.15.128.0+56dc5a86"
  std::string module;        // "MODULE_<graph hash>+<flags hash>"
  std::string name() const { return compiler_dir + "/" + module; }
  bool operator<(const GraphRef& o) const { return name() < o.name(); }
  bool operator==(const GraphRef& o) const { return compiler_dir == o.compiler_dir && module == o.module; }
};

// Pure: the graph one console line of a collect names, if any:
//   ... Extracting graphs (<root>/<compiler dir>/<MODULE_>/model.hlo_module.pb|model.hlo.pb) ...
//   ... Using a cached neff at <root>/<compiler dir>/<MODULE_>/model.neff ...   (already compiled)
// Only the last three path components count; each must have Neuron's shape.
std::optional<GraphRef> graph_in_line(std::string_view line);
// Pure: "<compiler dir>/<module>" back to a GraphRef, validated.
std::optional<GraphRef> parse_graph_name(std::string_view name);

// Fed the collect's output as it streams past `run`'s tee (lines may be split across chunks).
class CollectedGraphsParser {
 public:
  void feed(std::string_view chunk);
  void finish();
  const std::set<GraphRef>& graphs() const { return graphs_; }

 private:
  std::string partial_;
  std::set<GraphRef> graphs_;
};

// The largest list file read back, and the most graphs one may name.
inline constexpr size_t kMaxGraphListBytes = 8u << 20;
inline constexpr size_t kMaxListedGraphs = 100000;

// One task's list: "trn-train collect <exit status> <host>", then one name per line.
struct TaskGraphs {
  int status = 0;  // the collect's exit status
  std::string host;
  std::set<GraphRef> graphs;
};
std::string format_task_graphs(const TaskGraphs& t);
// Pure, for text read from the shared log folder; false with *why.
bool parse_task_graphs(std::string_view text, TaskGraphs* out, std::string* why);

// What the tasks' lists say together.
struct JobGraphs {
  std::set<GraphRef> graphs;         // the union
  std::vector<int> missing;          // tasks without a (readable) list
  std::vector<std::string> failed;   // "task 2 (host): collect exited 1"
  std::vector<std::string> invalid;  // "task 3: <why>"
  bool complete() const { return missing.empty() && failed.empty() && invalid.empty(); }
};
// Pure: merges task k's text (nullopt: not there yet) for k in [0, texts.size()).
JobGraphs merge_task_graphs(const std::vector<std::optional<std::string>>& texts);

// The folder of a job step's lists (launch.log_dir/<job>/<restart>/compile-graphs.<step>),
// and the variable `run` names it in for neuron-compile.
std::string job_graphs_dir(const Plan& p);
inline constexpr const char* kJobGraphsVariable = "TRN_TRAIN_COLLECTED_GRAPHS";
// How many tasks write a list: one per node, or one per worker (LaunchPattern::kPerWorker).
int job_graph_tasks(const Plan& p);

// I/O: writes this task's list (best effort: *why says what failed).
bool write_task_graphs(const std::string& dir, int task, const TaskGraphs& t, std::string* why);
// I/O: waits up to timeout_ms for every task's list (a failed collect ends the wait too).
JobGraphs wait_for_job_graphs(const std::string& dir, int tasks, int timeout_ms);

// Pure: what identifies the graphs of a config and shape: the config after overrides
// without its launch: block, the backend, platform, LNC, nodes, processes per node and
// NEURON_CC_FLAGS. ASSUMPTION (one place): two runs that agree on these trace the same
// graphs; trainer.max_steps or a data path are part of the config and so of the key,
// which errs toward "unknown". A sha256 hex digest.
std::string config_graph_key(const Plan& p, const LoadedConfig& cfg);

// I/O in the cache root: <root>/.graphs/<key>, written like the cache's own files (its
// folder's mode and group, atomically, never through a link).
bool record_config_graphs(const std::string& root, const std::string& key, const std::string& header,
                          const std::set<GraphRef>& graphs, const cache::TrustPolicy& trust, std::string* why);
// nullopt when no job recorded them (or the record is unreadable: *why then says why).
std::optional<std::set<GraphRef>> read_config_graphs(const std::string& root, const std::string& key,
                                                     std::string* why);
// Where they are, for messages.
std::string config_graphs_path(const std::string& root, const std::string& key);

}  // namespace trn
