// Collect-then-compile, the default COMPILE=1 strategy of the nxdt backend
// (launch.neuron_compile): `neuron_parallel_compile --command collect` on every node
// leaves each graph's HLO in the Neuron cache, then `trn-train neuron-compile` (which
// `run` starts after the collect step) compiles every collected graph of the installed
// compiler EXACTLY ONCE across all nodes through our cache library: its entry locks
// (heartbeat, stale takeover), failure records and per-node compile slots
// (cache/compile_scheduler.h). Plain `neuron_parallel_compile` instead compiles every
// graph on every node, contending on the one shared cache.
//
// The per-graph compiler call is the one torch-neuronx's wrapper (libneuronxla
// neuron_cc_wrapper, used by neuron_parallel_compile) logs for each module:
//   neuronx-cc compile --target=trn1 --framework=XLA <workdir>/model.MODULE_<h>+<f>.hlo_module.pb
//       --output <workdir>/model.MODULE_<h>+<f>.neff [NEURON_CC_FLAGS minus the wrapper's own] --verbose=35
// run in a private work folder /tmp/<user>/neuroncc_compile_workdir/<uuid>/ (the compiler
// writes its intermediate files into its current folder). Sources: "Call compiler with cmd:"
// in aws-neuron/aws-neuron-sdk issue #872 and the "Failed compilation with [...]" argv with
// `--auto-cast none` from NEURON_CC_FLAGS before `--verbose=35` in issue #947; the
// `--command collect|compile` split and NEURON_PARALLEL_COMPILE_MAX_RETRIES (extra
// attempts, default 0) in aws-neuron-sdk pytorch-neuron-parallel-compile.rst; the wrapper
// options that are not compiler flags (--cache_dir, --no_cache, --retry_failed_compilation,
// --log_level) in neuron-caching.rst. The target is the instance's platform unless
// NEURON_CC_FLAGS names one.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cache/compile_scheduler.h"
#include "launcher/commands/commands.h"

namespace trn {

// `trn-train neuron-compile` (launcher/neuron/neuron_compile_command.cc): compiles this config's
// collected graphs, prints the summary lines; exit 1 when a graph failed.
int neuron_compile_command(const CommonOptions& opts);

inline constexpr const char* kNeuronCompilePrefix = "||NEURON_PARALLEL_COMPILE||: ";

// The version `neuronx-cc --version` prints ("NeuronX Compiler version 2.15.128.0+56dc5a86"),
// "" when the text has none.
std::string parse_neuronxcc_version(std::string_view version_output);
// Runs `<compiler> --version`: the installed compiler's version, "" when it says none.
// It names the cache folder the collecting processes wrote into (neuronxcc-<version>).
std::string installed_neuronxcc_version(const std::string& compiler);

// The flags the collecting process compiled this entry's graph with, as the SDK records
// them in the entry's compile_flags.json (a JSON list of words,
// cache::read_compile_flags), without the wrapper's own options: the compile step runs
// outside the training process, so flags that process added (NxDT's orchestrator
// appends the config's compiler_flags) are only known from there. nullopt when the file
// is missing, unreadable or not such a list: then the graph must not be compiled
// (collected_graphs marks it unusable), never with this process's NEURON_CC_FLAGS.
std::optional<std::vector<std::string>> recorded_flags(const std::string& entry_dir);

// The argv template for one graph ("{in}"/"{out}" as cache/compiler_runner.h replaces them).
// `target` ("trn1", "trn2") is added unless the flags carry --target.
std::vector<std::string> neuronx_cc_argv(const std::string& compiler, const std::string& target,
                                         const std::vector<std::string>& flags);

// The graphs collected under <root>/<compiler_dir>: every MODULE_* entry holding an
// extracted HLO (model.hlo_module.pb, or model.hlo.pb of older SDKs), keyed so that the
// cache's entry directory is that same MODULE_ directory. Entries whose name is not
// Neuron's MODULE_<hash>+<flags hash> shape are left out. A graph whose
// compile_flags.json is missing or unreadable is kept with GraphJob::unusable saying
// so: the compile reports it as failed, naming the file, and never compiles it.
// (Its key's flags are the recorded ones, joined, for our record in the entry.)
std::vector<cache::GraphJob> collected_graphs(const std::string& root, const std::string& compiler_dir);

}  // namespace trn
