// Collect-then-compile (launcher/neuron/neuron_compile.h) and the warm-cache check
// (launcher/neuron/warm_cache.h): the per-graph compiler command as torch-neuronx's wrapper
// runs it, the collected graphs keyed onto their own MODULE_ folders, the launch:
// keys, the backend argv, and the warm-cache verdicts.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <unistd.h>

#include <set>
#include <string>

#include "cache/entry_layout.h"
#include "common/fs.h"
#include "launcher/plan/backend_command.h"
#include "launcher/errors.h"
#include "launcher/neuron/job_graphs.h"
#include "launcher/neuron/neuron_compile.h"
#include "launcher/plan/plan.h"
#include "launcher/neuron/warm_cache.h"

namespace trn {
namespace {

struct Scratch {
  std::string path;
  Scratch() {
    char t[] = "/tmp/trn-neuron-compile-unit.XXXXXX";
    path = ::mkdtemp(t);
  }
  ~Scratch() { remove_tree(path); }
  void put(const std::string& rel, const std::string& text = "x") const {
    const std::string full = path + "/" + rel;
    make_dirs(full.substr(0, full.rfind('/')), 0755, nullptr);
    write_file_atomic(full, text, 0644, nullptr);
  }
};

TEST(NeuronCompile, VersionFromCompilerOutput) {
  EXPECT_EQ(parse_neuronxcc_version("NeuronX Compiler version 2.14.227.0+2d4f85be\n\nPython version 3.10.12\n"),
            "2.14.227.0+2d4f85be");
  EXPECT_EQ(parse_neuronxcc_version("neuronx-cc: command not found"), "");
}

// The flags the collecting process recorded in the entry win over this process's
// NEURON_CC_FLAGS (NxDT's orchestrator adds compiler_flags only inside training).
TEST(NeuronCompile, RecordedFlagsOfTheEntry) {
  Scratch s;
  EXPECT_FALSE(recorded_flags(s.path));
  // The wrapper's own options (--cache_dir, --retry_failed_compilation, --log_level X)
  // are dropped: the compiler never sees them.
  s.put("compile_flags.json", R"(["--model-type", "transformer", "--cache_dir=/x", "--retry_failed_compilation", )"
                              R"("--log_level", "INFO", "-O1"])");
  EXPECT_EQ(recorded_flags(s.path), (std::vector<std::string>{"--model-type", "transformer", "-O1"}));
  s.put("compile_flags.json", R"({"flags": "--auto-cast none"})");  // as trn-train once rewrote it: not the SDK's
  EXPECT_FALSE(recorded_flags(s.path));
  s.put("compile_flags.json", "--model-type transformer");  // not JSON: not trusted
  EXPECT_FALSE(recorded_flags(s.path));
  s.put("compile_flags.json", "[1, 2]");
  EXPECT_FALSE(recorded_flags(s.path));
}

// The command the wrapper logs per graph (aws-neuron-sdk issues #872, #947).
TEST(NeuronCompile, CompilerCommandIsTheWrappers) {
  const std::vector<std::string> want{"/opt/bin/neuronx-cc", "compile", "--target=trn2", "--framework=XLA", "{in}",
                                      "--output", "{out}", "--auto-cast", "none", "--verbose=35"};
  EXPECT_EQ(neuronx_cc_argv("/opt/bin/neuronx-cc", "trn2", {"--auto-cast", "none"}), want);
  // A target in NEURON_CC_FLAGS is the user's: not given twice.
  const auto own = neuronx_cc_argv("neuronx-cc", "trn1", {"--target=trn2"});
  EXPECT_EQ(std::count(own.begin(), own.end(), "--target=trn1"), 0);
  EXPECT_EQ(std::count(own.begin(), own.end(), "--target=trn2"), 1);
}

// Every collected entry becomes a job whose cache entry IS its MODULE_ folder, so the
// cache publishes model.neff + model.done next to the extracted HLO.
TEST(NeuronCompile, CollectedGraphsKeyOntoTheirModuleFolders) {
  Scratch s;
  const std::string v = "neuronxcc-2.15.128.0+56dc5a86";
  s.put(v + "/MODULE_56f0d314fda2b6e1e336+617f6939/model.hlo_module.pb");
  s.put(v + "/MODULE_16518787498567201059+d41d8cd9/model.hlo.pb");  // older SDK: decimal hash, model.hlo.pb
  s.put(v + "/MODULE_aaaaaaaaaaaaaaaaaaaa+bbbbbbbb/model.neff");     // nothing collected
  s.put(v + "/MODULE_not+hex/model.hlo_module.pb");                  // not Neuron's name
  s.put("neuronxcc-2.14.0.0+x/MODULE_cccccccccccccccccccc+dddddddd/model.hlo_module.pb");  // another compiler
  const auto graphs = collected_graphs(s.path, v);
  ASSERT_EQ(graphs.size(), 2u);
  for (const auto& g : graphs) {
    EXPECT_EQ(s.path + "/" + g.key.relative_dir(), g.path.substr(0, g.path.rfind('/')));
    EXPECT_EQ(g.key.compiler.dir_name(), v);
  }
  EXPECT_TRUE(collected_graphs(s.path, "neuronxcc-9.9").empty());
}

LoadedConfig config(const std::vector<std::string>& overrides) {
  return load_config("conf/hf_llama3_8B_config.yaml", overrides, config::SiteConfig{});
}

std::string problems_of(const std::vector<std::string>& overrides) {
  try {
    config(overrides);
    return "";
  } catch (const InputError& e) {
    std::string t;
    for (const auto& p : e.problems()) t += p.str() + "\n";
    return t;
  }
}

TEST(NeuronCompile, LaunchKeys) {
  const LoadedConfig d = config({});
  EXPECT_EQ(d.launch.neuron_compile, NeuronCompile::kCollectThenCompile);
  EXPECT_EQ(d.launch.require_warm_cache, WarmCachePolicy::kWarn);
  EXPECT_EQ(d.launch.compile_slots, 0);
  const LoadedConfig o = config({"launch.neuron_compile=parallel_compile", "launch.require_warm_cache=refuse",
                                 "launch.compile_slots=8"});
  EXPECT_EQ(o.launch.neuron_compile, NeuronCompile::kParallelCompile);
  EXPECT_EQ(o.launch.require_warm_cache, WarmCachePolicy::kRefuse);
  EXPECT_EQ(o.launch.compile_slots, 8);
  EXPECT_NE(problems_of({"launch.neuron_compile=fast"}).find(
                "launch.neuron_compile = fast: must be one of collect_then_compile, parallel_compile"),
            std::string::npos);
  EXPECT_NE(problems_of({"launch.require_warm_cache=yes"}).find("must be one of refuse, warn, off"), std::string::npos);
  EXPECT_NE(problems_of({"launch.compile_slots=-1"}).find("launch.compile_slots"), std::string::npos);
}

TEST(NeuronCompile, Compile1BackendOnlyCollectsByDefault) {
  Plan p;
  p.backend = Backend::kNxdt;
  p.compile = true;
  p.master_addr = "10.0.0.1";
  const auto argv = backend_command(p, config({}), "/opt/bin");
  ASSERT_GE(argv.size(), 4u);
  EXPECT_EQ(std::vector<std::string>(argv.begin(), argv.begin() + 4),
            (std::vector<std::string>{"neuron_parallel_compile", "--command", "collect", "torchrun"}));
  const auto plain = backend_command(p, config({"launch.neuron_compile=parallel_compile"}), "/opt/bin");
  EXPECT_EQ(plain[1], "torchrun");
  p.compile = false;
  EXPECT_EQ(backend_command(p, config({}), "/opt/bin")[0], "torchrun");
}

// ---- warm cache ----

TEST(WarmCache, CountsEachCompilerFoldersGraphsByState) {
  Scratch s;
  const std::string v = "neuronxcc-2.15.128.0+56dc5a86/";
  s.put(v + "MODULE_1/model.hlo_module.pb");
  s.put(v + "MODULE_1/model.neff");
  s.put(v + "MODULE_1/model.done", "");
  s.put(v + "MODULE_2/model.hlo_module.pb");
  s.put(v + "MODULE_2/model.log", "error");
  s.put(v + "MODULE_3/model.hlo_module.pb");  // collected, never compiled
  s.put(v + "MODULE_4/model.hlo.pb");
  s.put(v + "MODULE_4/model.hlo.pb.lock");    // being compiled: not there yet
  s.put(v + "MODULE_5/compile_flags.json");   // no graph at all
  s.put("neuronxcc-2.14.0.0+1/MODULE_9/model.hlo_module.pb");
  s.put("g++-13/MODULE_7/model.hlo_module.pb");  // not Neuron's
  const auto counts = count_cache_graphs(s.path);
  ASSERT_EQ(counts.size(), 2u);
  EXPECT_EQ(counts[0].compiler_dir, "neuronxcc-2.14.0.0+1");
  EXPECT_EQ(counts[0].missing, 1);
  EXPECT_EQ(counts[1].success, 1);
  EXPECT_EQ(counts[1].failed, 1);
  EXPECT_EQ(counts[1].missing, 2);
  EXPECT_TRUE(count_cache_graphs(s.path + "/absent").empty());
}

TEST(WarmCache, Verdicts) {
  const std::vector<CompilerGraphs> warm{{"neuronxcc-2.14.0.0+1", 0, 0, 4}, {"neuronxcc-2.15.1.0+2", 3, 0, 0}};
  // The installed compiler's folder is judged, not older ones.
  auto v = judge_warm_cache(warm, "/c", "neuronxcc-2.15.1.0+2", WarmCachePolicy::kRefuse);
  EXPECT_FALSE(v.problem);
  EXPECT_TRUE(v.warning.empty());
  ASSERT_EQ(v.report.size(), 2u);
  EXPECT_EQ(v.report[1], "compile cache /c/neuronxcc-2.15.1.0+2: 3 SUCCESS, 0 FAILED, 0 missing (the installed compiler)");
  // Unknown compiler: the newest version found (2.15 > 2.9 numerically).
  v = judge_warm_cache({{"neuronxcc-2.9.0.0+1", 0, 0, 2}, {"neuronxcc-2.15.0.0+1", 2, 0, 0}}, "/c", "",
                       WarmCachePolicy::kRefuse);
  EXPECT_FALSE(v.problem);
  // Cold: refused with the counts and the fix.
  v = judge_warm_cache({{"neuronxcc-2.15.1.0+2", 3, 1, 2}}, "/c", "neuronxcc-2.15.1.0+2", WarmCachePolicy::kRefuse);
  ASSERT_TRUE(v.problem);
  EXPECT_EQ(v.problem->key, "compile cache");
  EXPECT_EQ(v.problem->value, "/c/neuronxcc-2.15.1.0+2 (1 FAILED and 2 missing of 6 graphs)");
  EXPECT_NE(v.problem->fix.find("run the COMPILE=1 job first"), std::string::npos);
  EXPECT_NE(v.problem->fix.find("model.log"), std::string::npos);
  // The installed compiler has no graphs (a new SDK): cold too.
  v = judge_warm_cache(warm, "/c", "neuronxcc-2.16.0.0+3", WarmCachePolicy::kWarn);
  EXPECT_FALSE(v.problem);
  EXPECT_NE(v.warning.find("/c/neuronxcc-2.16.0.0+3 is not warm (no precompiled graphs)"), std::string::npos);
  v = judge_warm_cache({}, "/c", "", WarmCachePolicy::kWarn);
  EXPECT_NE(v.warning.find("/c/neuronxcc-* is not warm"), std::string::npos);
  v = judge_warm_cache({}, "/c", "", WarmCachePolicy::kOff);
  EXPECT_FALSE(v.problem);
  EXPECT_TRUE(v.warning.empty() && v.report.empty());
}

// ---- a job's own graphs (launcher/neuron/job_graphs.h, issue 20) ----

constexpr const char* kDir = "neuronxcc-2.15.128.0+56dc5a86";
constexpr const char* kModA = "MODULE_0123456789abcdef0123+89abcdef";
constexpr const char* kModB = "MODULE_5274156739761925271+d41d8cd9";  // before 2.14: decimal graph hashes

TEST(JobGraphs, TheCollectsLinesNameItsGraphs) {
  const std::string root = "/var/tmp/neuron-compile-cache/";
  // The wrapper's line as aws-neuron-sdk's docs show it, with a log prefix in front.
  auto g = graph_in_line("2024-02-26 16:03:32.000510:  20277  INFO ||NEURON_CC_WRAPPER||: Extracting graphs (" + root +
                         kDir + "/" + kModA + "/model.hlo_module.pb) for ahead-of-time parallel compilation. No "
                         "compilation was done.");
  ASSERT_TRUE(g);
  EXPECT_EQ(g->name(), std::string(kDir) + "/" + kModA);
  g = graph_in_line("INFO: Extracting graphs (" + root + kDir + "/" + kModB + "/model.hlo.pb) for ahead-of-time");
  ASSERT_TRUE(g);
  EXPECT_EQ(g->module, kModB);
  // Already compiled: still one of this job's graphs.
  g = graph_in_line("INFO ||NEURON_CC_WRAPPER||: Using a cached neff at " + root + kDir + "/" + kModA +
                    "/model.neff. Exiting with a successfully compiled graph.");
  ASSERT_TRUE(g);
  EXPECT_EQ(g->module, kModA);
  // Anything else names no graph: other files, other shapes, traversal, no path.
  for (const std::string& bad : {
           "Extracting graphs (" + root + kDir + "/" + kModA + "/model.neff) for",
           "Extracting graphs (" + root + kDir + "/MODULE_xyz+1/model.hlo_module.pb) for",
           "Extracting graphs (" + root + kDir + "/../model.hlo_module.pb) for",
           "Extracting graphs (" + root + "g++-13/" + kModA + "/model.hlo_module.pb) for",
           "Extracting graphs (" + root + kDir + "/" + kModA + "/model.hlo_module.pb",
           std::string("Extracting graphs (model.hlo_module.pb) for"),
           std::string("INFO ||NEURON_PARALLEL_COMPILE||: Total graphs: 3"),
       }) {
    EXPECT_FALSE(graph_in_line(bad)) << bad;
  }
}

TEST(JobGraphs, ParserJoinsSplitLinesAndCountsEachGraphOnce) {
  const std::string line = std::string("INFO Extracting graphs (/c/") + kDir + "/" + kModA + "/model.hlo_module.pb) x\n";
  CollectedGraphsParser p;
  p.feed(line.substr(0, 30));
  p.feed(line.substr(30) + line + "torchrun (double): node 0\nExtracting graphs (/c/" + kDir + "/" + kModB);
  p.feed("/model.hlo_module.pb) no newline");
  EXPECT_EQ(p.graphs().size(), 1u);
  p.finish();
  ASSERT_EQ(p.graphs().size(), 2u);
  EXPECT_EQ(p.graphs().begin()->module, kModA);
}

TEST(JobGraphs, TaskListsRoundTripAndPlantedTextIsRefused) {
  TaskGraphs t{0, "trn1-st-trn1-1", {*parse_graph_name(std::string(kDir) + "/" + kModA)}};
  TaskGraphs back;
  std::string why;
  ASSERT_TRUE(parse_task_graphs(format_task_graphs(t), &back, &why)) << why;
  EXPECT_EQ(back.status, 0);
  EXPECT_EQ(back.host, "trn1-st-trn1-1");
  EXPECT_EQ(back.graphs, t.graphs);
  EXPECT_FALSE(parse_task_graphs("", &back, &why));
  EXPECT_FALSE(parse_task_graphs("trn-train collect x h\n", &back, &why));
  EXPECT_FALSE(parse_task_graphs("trn-train collect 0 h\n/etc/passwd\n", &back, &why));
  EXPECT_NE(why.find("line 2 is not a graph name"), std::string::npos);
  EXPECT_FALSE(parse_task_graphs("trn-train collect 0 h\n" + std::string(kDir) + "/../../x+1\n", &back, &why));
}

TEST(JobGraphs, MergeIsTheUnionAndSaysWhoIsMissingOrFailed) {
  const std::string a = std::string(kDir) + "/" + kModA, b = std::string(kDir) + "/" + kModB;
  JobGraphs j = merge_task_graphs({"trn-train collect 0 n1\n" + a + "\n", "trn-train collect 0 n2\n" + a + "\n" + b + "\n"});
  EXPECT_TRUE(j.complete());
  EXPECT_EQ(j.graphs.size(), 2u);
  j = merge_task_graphs({"trn-train collect 0 n1\n" + a + "\n", std::nullopt, "trn-train collect 1 n3\n", "junk"});
  EXPECT_FALSE(j.complete());
  EXPECT_EQ(j.missing, std::vector<int>{1});
  ASSERT_EQ(j.failed.size(), 1u);
  EXPECT_EQ(j.failed[0], "task 2 (n3): its collect exited 1");
  ASSERT_EQ(j.invalid.size(), 1u);
  EXPECT_EQ(j.graphs.size(), 1u);
}

TEST(JobGraphs, ConfigKeyIsTheShapeNotTheLaunchersSettings) {
  Plan p;
  p.nodes = 4;
  p.procs_per_node = 32;
  const std::string key = config_graph_key(p, config({}));
  EXPECT_EQ(key.size(), 64u);
  EXPECT_EQ(config_graph_key(p, config({"launch.require_warm_cache=refuse", "launch.compile_slots=2"})), key);
  EXPECT_NE(config_graph_key(p, config({"trainer.max_steps=7"})), key);
  Plan two = p;
  two.nodes = 2;
  EXPECT_NE(config_graph_key(two, config({})), key);
  Plan flags = p;
  flags.env["NEURON_CC_FLAGS"] = "--model-type transformer";
  EXPECT_NE(config_graph_key(flags, config({})), key);
}

TEST(JobGraphs, ConfigRecordRoundTripsAndIsReadAsUntrusted) {
  Scratch s;
  const cache::TrustPolicy trust = cache::TrustPolicy::for_current_user("", nullptr);
  const std::set<GraphRef> graphs{*parse_graph_name(std::string(kDir) + "/" + kModA),
                                  *parse_graph_name(std::string(kDir) + "/" + kModB)};
  const std::string key(64, 'a');
  std::string why;
  EXPECT_FALSE(read_config_graphs(s.path, key, &why));  // nobody recorded it: unknown, no error
  EXPECT_EQ(why, "");
  ASSERT_TRUE(record_config_graphs(s.path, key, "graphs of x", graphs, trust, &why)) << why;
  auto back = read_config_graphs(s.path, key, &why);
  ASSERT_TRUE(back) << why;
  EXPECT_EQ(*back, graphs);
  s.put(".graphs/" + std::string(64, 'b'), "# ok\n/etc/shadow\n");
  EXPECT_FALSE(read_config_graphs(s.path, std::string(64, 'b'), &why));
  EXPECT_NE(why.find("is not a graph name"), std::string::npos);
  s.put(".graphs/" + std::string(64, 'c'), std::string(kMaxGraphListBytes + 1, '#'));
  EXPECT_FALSE(read_config_graphs(s.path, std::string(64, 'c'), &why));
  EXPECT_NE(why.find("larger than"), std::string::npos);
  // A planted link, as the record or as its folder, is never followed.
  ASSERT_EQ(::symlink((s.path + "/.graphs/" + key).c_str(), (s.path + "/.graphs/" + std::string(64, 'd')).c_str()), 0);
  EXPECT_FALSE(read_config_graphs(s.path, std::string(64, 'd'), &why));
  Scratch other;
  ASSERT_EQ(::symlink((s.path + "/.graphs").c_str(), (other.path + "/.graphs").c_str()), 0);
  EXPECT_FALSE(read_config_graphs(other.path, key, &why));
  EXPECT_FALSE(record_config_graphs(other.path, key, "x", graphs, trust, &why));
}

TEST(WarmCache, CountsTheListedGraphsOnly) {
  Scratch s;
  const std::string a = std::string(kDir) + "/" + kModA, b = std::string(kDir) + "/" + kModB;
  s.put(a + "/model.hlo_module.pb");
  s.put(a + "/model.neff");
  s.put(a + "/model.done", "");
  s.put(b + "/model.hlo_module.pb");
  s.put(b + "/model.log", "error");
  s.put(std::string(kDir) + "/MODULE_1+2/model.log", "another job's failure");  // not listed: not counted
  const std::set<GraphRef> graphs{*parse_graph_name(a), *parse_graph_name(b),
                                  *parse_graph_name(std::string(kDir) + "/MODULE_3+4")};  // never collected here
  const auto counts = count_listed_graphs(s.path, graphs);
  ASSERT_EQ(counts.size(), 1u);
  EXPECT_EQ(counts[0].success, 1);
  EXPECT_EQ(counts[0].failed, 1);
  EXPECT_EQ(counts[0].missing, 1);
}

TEST(WarmCache, UnknownGraphsAreSaidSoNotJudgedOnTheWholeCache) {
  const GraphScope unknown{GraphScope::kUnknown, "/c/.graphs/k", ""};
  auto v = judge_warm_cache({}, "/c", "neuronxcc-2.15.1.0+2", WarmCachePolicy::kRefuse, Backend::kNxdt, unknown);
  ASSERT_TRUE(v.problem);
  EXPECT_EQ(v.problem->value,
            "/c (the graphs of this config and shape are unknown: no COMPILE=1 job of it recorded them in /c/.graphs/k)");
  EXPECT_NE(v.problem->fix.find("run its COMPILE=1 job first"), std::string::npos);
  v = judge_warm_cache({}, "/c", "", WarmCachePolicy::kWarn, Backend::kNxdt, unknown);
  EXPECT_FALSE(v.problem);
  EXPECT_NE(v.warning.find("compile cache /c cannot be judged"), std::string::npos);
  const GraphScope mine{GraphScope::kConfig, "/c/.graphs/k", ""};
  v = judge_warm_cache({{"neuronxcc-2.15.1.0+2", 3, 0, 0}}, "/c", "neuronxcc-2.15.1.0+2", WarmCachePolicy::kRefuse,
                       Backend::kNxdt, mine);
  EXPECT_FALSE(v.problem);
  ASSERT_EQ(v.report.size(), 1u);
  EXPECT_EQ(v.report[0],
            "compile cache /c/neuronxcc-2.15.1.0+2: 3 SUCCESS, 0 FAILED, 0 missing of this config's graphs (the installed "
            "compiler)");
  v = judge_warm_cache({{"neuronxcc-2.15.1.0+2", 1, 2, 0}}, "/c", "neuronxcc-2.15.1.0+2", WarmCachePolicy::kRefuse,
                       Backend::kNxdt, mine);
  ASSERT_TRUE(v.problem);
  EXPECT_EQ(v.problem->value, "/c/neuronxcc-2.15.1.0+2 (2 FAILED and 0 missing of 3 graphs of this config)");
}

}  // namespace
}  // namespace trn
