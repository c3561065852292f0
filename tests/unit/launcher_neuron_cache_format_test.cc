// Neuron's cache format, untouched: the SDK-written tree of tests/fixtures/neuron_cache/
// goes through trn-train's collect -> compile -> lookup (collected_graphs, the compile
// scheduler, lookups) and every file the SDK wrote is byte-identical afterwards; what
// trn-train adds is the SDK's own (model.neff, an empty model.done) plus its side record.
// A collected entry without its compile_flags.json is a named failure, never compiled
// with this process's flags.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "cache/compile_cache.h"
#include "cache/compile_scheduler.h"
#include "common/fs.h"
#include "launcher/neuron/neuron_compile.h"

namespace trn {
namespace {

constexpr const char* kFixture = "tests/fixtures/neuron_cache";
constexpr const char* kVersionDir = "neuronxcc-2.15.128.0+56dc5a86";
constexpr const char* kCollected = "MODULE_56f0d314fda2b6e1e336+617f6939";
constexpr const char* kCompiledBySdk = "MODULE_0b6a1c2e9d8f7a6b5c4d+617f6939";

// Every file below `dir` (relative path -> content).
std::map<std::string, std::string> files_under(const std::string& dir, const std::string& rel = "") {
  std::map<std::string, std::string> out;
  for (const auto& n : list_dir(dir + rel)) {
    const std::string r = rel + "/" + n;
    struct stat st;
    if (::lstat((dir + r).c_str(), &st) != 0) continue;
    if (S_ISDIR(st.st_mode)) {
      for (auto& [k, v] : files_under(dir, r)) out[k] = v;
    } else {
      read_file(dir + r, &out[r]);
    }
  }
  return out;
}

class NeuronCacheFormat : public ::testing::Test {
 protected:
  void SetUp() override {
    char t[] = "/tmp/trn-neuron-format-unit.XXXXXX";
    root_ = ::mkdtemp(t);
    cache_dir_ = root_ + "/cache";
    ASSERT_EQ(std::system(("cp -R " + std::string(kFixture) + "/" + kVersionDir + " " + root_ + "/tree && mkdir -p " +
                           cache_dir_ + " && mv " + root_ + "/tree '" + cache_dir_ + "/" + kVersionDir + "'")
                              .c_str()),
              0);
    sdk_files_ = files_under(std::string(kFixture) + "/" + kVersionDir);
    ASSERT_EQ(sdk_files_.size(), 6u);
    opt_.dir = cache_dir_;
    opt_.quiet = true;
    opt_.timing = {0.1, 0.5};
  }
  void TearDown() override { remove_tree(root_); }

  // The fixture's graphs through the compile scheduler with a compiler that records the
  // graphs it was given; returns the summary.
  cache::ScheduleSummary compile_collected(std::vector<std::string>* compiled) {
    std::unique_ptr<cache::CompileCache> c;
    std::string err;
    EXPECT_TRUE(cache::CompileCache::open(opt_, &c, &err)) << err;
    const auto graphs = collected_graphs(cache_dir_, kVersionDir);
    EXPECT_EQ(graphs.size(), 2u);
    const cache::CompileFn compile = [compiled](const cache::CompileRequest& r) {
      compiled->push_back(r.input_path);
      return write_file_atomic(r.output_path, "neff of " + r.input_path, 0644, nullptr) ? 0 : 1;
    };
    cache::ScheduleOptions so;
    so.print_summary = false;
    return cache::compile_distributed(*c, graphs, compile, cache::RankInfo{}, so);
  }

  std::string root_, cache_dir_;
  std::map<std::string, std::string> sdk_files_;
  cache::CacheOptions opt_;
};

TEST_F(NeuronCacheFormat, SdkEntriesGoThroughCollectCompileLookupUnchanged) {
  const std::string entry = cache_dir_ + "/" + kVersionDir + "/" + kCollected;
  // The flags come from the entry, as the SDK wrote them.
  EXPECT_EQ(recorded_flags(entry), (std::vector<std::string>{"--model-type", "transformer", "--auto-cast", "none"}));
  std::vector<std::string> compiled;
  const cache::ScheduleSummary sum = compile_collected(&compiled);
  EXPECT_EQ(sum.graphs, 2);
  EXPECT_EQ(sum.succeeded, 2) << (sum.failures.empty() ? "" : sum.failures[0]);
  EXPECT_EQ(sum.cache_hits_at_start, 1);  // the entry the SDK compiled is served as it is
  EXPECT_EQ(compiled, std::vector<std::string>{entry + "/model.hlo_module.pb"});
  std::unique_ptr<cache::CompileCache> c;
  std::string err;
  ASSERT_TRUE(cache::CompileCache::open(opt_, &c, &err)) << err;
  for (const auto& g : collected_graphs(cache_dir_, kVersionDir)) EXPECT_TRUE(c->lookup(g.key).ok()) << g.path;

  const auto after = files_under(cache_dir_ + "/" + kVersionDir);
  // Every file the SDK wrote: byte for byte the same.
  for (const auto& [rel, bytes] : sdk_files_) {
    ASSERT_TRUE(after.count(rel)) << rel << " is gone";
    EXPECT_EQ(after.at(rel), bytes) << rel << " was rewritten";
  }
  // What trn-train added: the SDK's own files, as the SDK writes them, and one side file.
  std::vector<std::string> added;
  for (const auto& [rel, bytes] : after)
    if (!sdk_files_.count(rel)) added.push_back(rel);
  const std::string m = std::string("/") + kCollected + "/";
  EXPECT_EQ(added, (std::vector<std::string>{m + "model.done", m + "model.neff", m + "trn-train.record"}));
  EXPECT_EQ(after.at(m + "model.done"), "") << "Neuron's model.done is empty";
  EXPECT_EQ(after.at(m + "model.neff"), "neff of " + entry + "/model.hlo_module.pb");
}

TEST_F(NeuronCacheFormat, MissingFlagsFileIsANamedFailureNotAFallback) {
  const std::string entry = cache_dir_ + "/" + kVersionDir + "/" + kCollected;
  ASSERT_EQ(::unlink((entry + "/compile_flags.json").c_str()), 0);
  EXPECT_FALSE(recorded_flags(entry));
  std::vector<std::string> compiled;
  const cache::ScheduleSummary sum = compile_collected(&compiled);
  EXPECT_TRUE(compiled.empty()) << "compiled without the flags it was collected with";
  EXPECT_EQ(sum.succeeded, 1);
  ASSERT_EQ(sum.failed, 1);
  EXPECT_NE(sum.failures[0].find(entry + "/compile_flags.json is missing"), std::string::npos) << sum.failures[0];
  // Not recorded as a compile failure in Neuron's files: nothing new in the entry.
  EXPECT_EQ(list_dir(entry), std::vector<std::string>{"model.hlo_module.pb"});

  // Unreadable (not the SDK's list) is the same.
  write_file_atomic(entry + "/compile_flags.json", R"({"flags": "--model-type transformer"})", 0644, nullptr);
  compiled.clear();
  const cache::ScheduleSummary again = compile_collected(&compiled);
  EXPECT_TRUE(compiled.empty());
  ASSERT_EQ(again.failed, 1);
  EXPECT_NE(again.failures[0].find("compile_flags.json is not the JSON list"), std::string::npos) << again.failures[0];
}

}  // namespace
}  // namespace trn
