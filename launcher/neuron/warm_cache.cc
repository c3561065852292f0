#include "launcher/neuron/warm_cache.h"

#include <sys/stat.h>

#include <map>

#include "cache/entry_layout.h"

namespace trn {
namespace {

// ASSUMPTION (not confirmed by public material): TorchNeuron's torch.compile(backend=
// "neuron") keeps its compiled graphs in the neuronxcc-<version>/MODULE_* layout of
// torch-neuronx's cache, under the same NEURON_COMPILE_CACHE_URL; the Neuron docs name
// no cache layout or variable for TorchNeuron. Only its first run warms it.
std::string torchneuron_warm_fix() {
  return "TorchNeuron compiles each graph on first use (there is no COMPILE=1 step for it): a first short training "
         "run warms the cache (few trainer.max_steps, or training.steps in TorchTitan's TOML), later runs load "
         "from it. trn-train assumes TorchNeuron uses torch-neuronx's neuronxcc-*/MODULE_* cache layout; if this "
         "check misjudges your cache, set launch.require_warm_cache=off";
}

}  // namespace

std::vector<CompilerGraphs> count_cache_graphs(const std::string& root) {
  std::map<std::string, CompilerGraphs> by_dir;
  for (const auto& e : cache::scan_entries(root, false)) {
    if (e.compiler_dir.rfind("neuronxcc-", 0) != 0) continue;
    CompilerGraphs& c = by_dir[e.compiler_dir];
    c.compiler_dir = e.compiler_dir;
    if (e.state == cache::EntryState::kSuccess) {
      ++c.success;
    } else if (e.state == cache::EntryState::kFailed) {
      ++c.failed;
    } else {
      struct stat st;
      for (const char* hlo : {"/model.hlo_module.pb", "/model.hlo.pb"}) {
        if (::lstat((e.path + hlo).c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
          ++c.missing;
          break;
        }
      }
    }
  }
  std::vector<CompilerGraphs> out;
  for (auto& [dir, c] : by_dir)
    if (c.success + c.failed + c.missing > 0) out.push_back(c);
  return out;
}

std::vector<CompilerGraphs> count_listed_graphs(const std::string& root, const std::set<GraphRef>& graphs) {
  std::map<std::string, CompilerGraphs> by_dir;
  for (const auto& g : graphs) {
    CompilerGraphs& c = by_dir[g.compiler_dir];
    c.compiler_dir = g.compiler_dir;
    struct stat st;
    const std::string entry = root + "/" + g.name();
    if (::lstat(entry.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {  // a link is no entry
      ++c.missing;
      continue;
    }
    const cache::EntryState state = cache::classify_entry(entry);
    if (state == cache::EntryState::kSuccess) {
      ++c.success;
    } else if (state == cache::EntryState::kFailed) {
      ++c.failed;
    } else {
      ++c.missing;
    }
  }
  std::vector<CompilerGraphs> out;
  for (auto& [dir, c] : by_dir) out.push_back(c);
  return out;
}

namespace {

// The same facts under either policy: refuse (a Problem: exit 2) or warn.
void say(WarmCachePolicy policy, const std::string& where, const std::string& state, const std::string& what,
         const std::string& fix, WarmCacheVerdict* v) {
  if (policy == WarmCachePolicy::kRefuse) {
    v->problem = Problem{"compile cache", where + " (" + what + ")", fix + ", or set launch.require_warm_cache=warn"};
  } else {
    v->warning = "compile cache " + where + " " + state + " (" + what + "): " + fix +
                 " (launch.require_warm_cache=refuse stops such a run)";
  }
}

}  // namespace

WarmCacheVerdict judge_warm_cache(const std::vector<CompilerGraphs>& counts, const std::string& root,
                                  const std::string& installed_dir, WarmCachePolicy policy, Backend backend,
                                  const GraphScope& scope) {
  WarmCacheVerdict v;
  if (policy == WarmCachePolicy::kOff) return v;
  if (scope.kind == GraphScope::kUnknown) {
    const std::string what = "the graphs of this config and shape are unknown: no COMPILE=1 job of it recorded them in " +
                             scope.record + (scope.why.empty() ? "" : " (" + scope.why + ")");
    const std::string fix = "run its COMPILE=1 job first (the same config, nodes and compiler flags), which "
                            "compiles and records them";
    say(policy, root, "cannot be judged", what, fix, &v);
    return v;
  }
  const std::string whose = scope.kind == GraphScope::kConfig ? " of this config's graphs" : "";
  std::string target = installed_dir;
  for (const auto& c : counts)
    if (installed_dir.empty() && (target.empty() || cache::compare_versions(c.compiler_dir, target) > 0))
      target = c.compiler_dir;
  const CompilerGraphs* judged = nullptr;
  for (const auto& c : counts) {
    const bool is_target = c.compiler_dir == target;
    if (is_target) judged = &c;
    v.report.push_back("compile cache " + root + "/" + c.compiler_dir + ": " + std::to_string(c.success) +
                       " SUCCESS, " + std::to_string(c.failed) + " FAILED, " + std::to_string(c.missing) + " missing" + whose +
                       (!is_target ? "" : installed_dir.empty() ? " (newest compiler version)" : " (the installed compiler)"));
  }
  if (judged && judged->failed == 0 && judged->missing == 0 && judged->success > 0) return v;
  const std::string where = root + "/" + (target.empty() ? std::string("neuronxcc-*") : target);
  std::string what = judged ? std::to_string(judged->failed) + " FAILED and " + std::to_string(judged->missing) +
                                  " missing of " + std::to_string(judged->success + judged->failed + judged->missing) +
                                  (scope.kind == GraphScope::kConfig ? " graphs of this config" : " graphs")
                            : scope.kind == GraphScope::kConfig ? "no precompiled graphs of this config"
                                                                : "no precompiled graphs";
  std::string fix = backend == Backend::kTorchNeuron ? torchneuron_warm_fix()
                                                     : "training would compile them just in time on every node; run "
                                                       "the COMPILE=1 job first (trn-train submit, or COMPILE=1 srun "
                                                       "trn-train)";
  if (judged && judged->failed) fix += "; the FAILED graphs' logs are <entry>/model.log";
  say(policy, where, "is not warm", what, fix, &v);
  return v;
}

}  // namespace trn
