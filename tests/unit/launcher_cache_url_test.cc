// Issue 20 (defect 4): a relative compiler_cache_url — two of NxDT's examples/conf files
// write `neuron_cache` and `neuron_cache_hf_moe` — was accepted by `plan` and refused by
// `run` ("must be an absolute path"). Now it means the config's folder, the one rule for
// every path in a config (common/config/config_paths.h), and every reader agrees: the plan,
// run's location check, `trn-train cache --conf`, and what NxDT is handed.
#include <dirent.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/cc_flags.h"
#include "common/config/cache_location.h"
#include "launcher/commands/backend_programs.h"
#include "launcher/errors.h"
#include "launcher/plan/plan.h"

namespace trn {
namespace {

// Tests run from the repository root (tests/run does).
const char kPublished[] = "tests/fixtures/published";

std::vector<std::string> published_configs() {
  std::vector<std::string> out;
  if (DIR* d = ::opendir(kPublished)) {
    while (const dirent* e = ::readdir(d)) {
      const std::string name = e->d_name;
      if (name.size() > 5 && name.compare(name.size() - 5, 5, ".yaml") == 0) out.push_back(name);
    }
    ::closedir(d);
  }
  return out;
}

PlanInputs inputs(const std::string& conf, const std::vector<std::string>& overrides) {
  PlanInputs in;
  in.site = config::SiteConfig{};
  in.config = load_config(conf, overrides, in.site);
  in.catalog = load_instance_catalog("conf/instances.yaml");
  in.launch = detect_launch_env({}, 64);  // enough for every published shape (405B: TP*PP 1024)
  in.bindir = "/opt/bin";
  in.resolve = [](const std::string& h) { return h; };
  return in;
}

TEST(Issue20, RelativeCacheUrlMeansTheConfigFolderForPlanRunCacheAndNxdt) {
  const auto names = published_configs();
  ASSERT_GE(names.size(), 9u);
  char cwd[4096];
  ASSERT_NE(::getcwd(cwd, sizeof cwd), nullptr);
  const std::string folder = std::string(cwd) + "/" + kPublished;
  for (const std::string& name : names) {
    // As NxDT's hf_mixtral_8x7b_dropless_config.yaml and megatron_mixtral_8x7b_dropless_config.yaml
    // write it, and with a file:// scheme.
    for (const std::string url : {"neuron_cache", "neuron_cache_hf_moe", "file://neuron_cache"}) {
      SCOPED_TRACE(name + " with compiler_cache_url=" + url);
      const std::string conf = std::string(kPublished) + "/" + name;
      const std::string want = folder + "/" + url.substr(url.rfind('/') + 1);
      PlanInputs in = inputs(conf, {"compiler_cache_url=" + url});
      Plan plan;
      try {
        plan = make_plan(in);
      } catch (const InputError& e) {
        for (const auto& p : e.problems()) ADD_FAILURE() << "plan refuses: " << p.str();
        continue;
      }
      EXPECT_EQ(plan.cache.dir, want);
      EXPECT_EQ(plan.cache.dir_source, "compiler_cache_url in the config");
      // `run` refuses what it cannot use before any worker starts; here it accepts the
      // plan's folder (the fixtures' folder exists and is writable).
      for (const Problem& p : check_cache_location(plan.cache)) ADD_FAILURE() << "run refuses: " << p.str();
      // `trn-train cache --conf` resolves through the same sources.
      Problems problems;
      EXPECT_EQ(config::resolve_cache_settings(cache_sources(&in.config, in.site), {}, &problems).dir, want);
      // NxDT gets the folder in the environment (its orchestrator keeps a set NEURON_COMPILE_CACHE_URL)
      // and, so its own config agrees, as an absolute override.
      EXPECT_EQ(plan.env.at("NEURON_COMPILE_CACHE_URL"), want);
      EXPECT_EQ(cc_flag_value(plan.env.at("NEURON_CC_FLAGS"), "--cache_dir"), want);
      if (url.find("://") == std::string::npos) {
        bool handed = false;
        for (const auto& arg : plan.command) handed = handed || arg == "++compiler_cache_url=" + want;
        EXPECT_TRUE(handed) << "no ++compiler_cache_url=" << want << " in the NxDT command";
      }
    }
  }
}

// Absolute paths and Neuron's S3 cache stay as written.
TEST(Issue20, AbsoluteAndS3CacheUrlsStayAsWritten) {
  const std::string conf = std::string(kPublished) + "/hf_llama3_8B_config.yaml";
  EXPECT_EQ(make_plan(inputs(conf, {})).cache.dir, "/home/ubuntu/neuron_cache");
  const Plan s3 = make_plan(inputs(conf, {"compiler_cache_url=s3://bucket/cache"}));
  EXPECT_EQ(s3.cache.dir, "s3://bucket/cache");
  EXPECT_TRUE(check_cache_location(s3.cache).empty());
  for (const auto& arg : s3.command) EXPECT_EQ(arg.find("++compiler_cache_url"), std::string::npos) << arg;
}

}  // namespace
}  // namespace trn
