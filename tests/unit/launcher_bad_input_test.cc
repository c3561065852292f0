// Bad input found before any rank starts (issue 9, "Done when"): a backend program
// missing on PATH, a PyTorch generation the backend cannot run on, an unusable compile
// cache, COMPILE=1 for a backend without an ahead-of-time compile. One Problem each.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "launcher/commands/backend_programs.h"
#include "launcher/errors.h"
#include "launcher/neuron/neuron_sdk.h"
#include "launcher/plan/plan.h"

namespace trn {
namespace {

Plan plan_for(const std::vector<std::string>& overrides, bool compile = false) {
  PlanInputs in;
  in.config = load_config("conf/hf_llama3_8B_config.yaml", overrides, in.site);
  in.catalog = load_instance_catalog("conf/instances.yaml");
  in.launch = detect_launch_env({}, 4);
  in.compile = compile;
  return make_plan(in);
}

struct TempDir {
  std::string path;
  TempDir() {
    char name[] = "/tmp/trn-bad-input-XXXXXX";
    path = ::mkdtemp(name);
  }
  ~TempDir() { [[maybe_unused]] int rc = std::system(("rm -rf '" + path + "'").c_str()); }
  // An executable stub at <path>/<rel>.
  void program(const std::string& rel) const {
    [[maybe_unused]] int rc = std::system(("mkdir -p \"$(dirname '" + path + "/" + rel + "')\"").c_str());
    std::ofstream(path + "/" + rel) << "#!/bin/sh\n";
    ::chmod((path + "/" + rel).c_str(), 0755);
  }
  void folder(const std::string& rel) const { [[maybe_unused]] int rc = std::system(("mkdir -p '" + path + "/" + rel + "'").c_str()); }
};

std::string text(const Problems& ps) {
  std::string out;
  for (const auto& p : ps) out += p.str() + "\n";
  return out;
}

TEST(BadInput, ProgramsMissingOnPath) {
  TempDir empty;
  const Plan train = plan_for({"compiler_cache_url=" + empty.path + "/cache"});
  const Problems t = check_backend_programs(train, empty.path);
  ASSERT_EQ(t.size(), 1u) << text(t);
  EXPECT_EQ(t[0].key, "torchrun");
  EXPECT_EQ(t[0].value, "(not on PATH)");
  const Problems c = check_backend_programs(plan_for({"compiler_cache_url=" + empty.path + "/cache"}, true), empty.path);
  EXPECT_NE(text(c).find("neuron_parallel_compile = (not on PATH)"), std::string::npos) << text(c);
  EXPECT_NE(text(c).find("torchrun = (not on PATH)"), std::string::npos) << text(c);
}

TEST(BadInput, TorchGenerationMustFitTheBackend) {
  TempDir venv;
  venv.program("bin/torchrun");
  const std::string cache = "compiler_cache_url=" + venv.path + "/cache";
  venv.folder("lib/python3.11/site-packages/torch-2.10.0.dist-info");
  const Problems nxdt = check_backend_programs(plan_for({cache}), venv.path + "/bin");
  ASSERT_EQ(nxdt.size(), 1u) << text(nxdt);
  EXPECT_EQ(nxdt[0].key, "launch.backend");
  EXPECT_NE(nxdt[0].fix.find("torch 2.10.0"), std::string::npos) << nxdt[0].fix;
  // 2.31 is the last SDK with NxD Training (its release notes; 2.28 only announced the end).
  EXPECT_NE(nxdt[0].fix.find("Neuron SDK <= 2.31 environment"), std::string::npos) << nxdt[0].fix;
  EXPECT_TRUE(check_backend_programs(plan_for({cache, "launch.backend=torchneuron", "launch.instance=trn2.48xlarge", "trainer.devices=64"}), venv.path + "/bin").empty());

  TempDir xla;
  xla.program("bin/torchrun");
  xla.folder("lib/python3.10/dist-packages/torch-2.9.1.dist-info");
  const auto t = torch_next_to(xla.path + "/bin/torchrun");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->major * 100 + t->minor, 209);
  const Problems tn = check_backend_programs(plan_for({cache, "launch.backend=torchneuron", "launch.instance=trn2.48xlarge", "trainer.devices=64"}), xla.path + "/bin");
  ASSERT_EQ(tn.size(), 1u) << text(tn);
  EXPECT_EQ(tn[0].value, "torchneuron");
  EXPECT_TRUE(check_backend_programs(plan_for({cache}), xla.path + "/bin").empty());
  // No dist-info where torchrun lives (system or unknown layout): nothing to judge.
  EXPECT_FALSE(torch_next_to("/nonexistent/bin/torchrun").has_value());
}

TEST(BadInput, UnusableCompileCache) {
  TempDir d;
  auto problems = [&](const std::string& url) {
    return check_cache_location(plan_for({"compiler_cache_url=" + url}).cache);
  };
  EXPECT_TRUE(problems(d.path + "/new/cache").empty());  // made on first use
  EXPECT_TRUE(problems("s3://bucket/neuron-cache").empty());
  std::ofstream(d.path + "/file") << "x";
  const Problems under_file = problems(d.path + "/file/cache");
  ASSERT_EQ(under_file.size(), 1u);
  EXPECT_EQ(under_file[0].key, "compiler_cache_url");
  EXPECT_NE(under_file[0].fix.find("is not a folder"), std::string::npos) << under_file[0].fix;
  const Problems scheme = problems("https://example.com/cache");
  ASSERT_EQ(scheme.size(), 1u);
  EXPECT_NE(scheme[0].fix.find("https:// is not supported"), std::string::npos) << scheme[0].fix;
  // A config's relative folder means the config's folder (issue 20); a relative one from the
  // environment is still refused.
  EXPECT_TRUE(problems("relative/cache").empty());
  CacheSettings from_env;
  from_env.dir = "relative/cache", from_env.dir_source = "TRN_TRAIN_CACHE_DIR";
  EXPECT_EQ(check_cache_location(from_env).size(), 1u);
  if (::geteuid() != 0) {  // root may write anywhere
    EXPECT_EQ(problems("/proc/trn-cache").size(), 1u);
  }
}

TEST(BadInput, TorchNeuronHasNoAheadOfTimeCompile) {
  try {
    plan_for({"launch.backend=torchneuron", "launch.instance=trn2.48xlarge", "trainer.devices=64"}, true);
    FAIL() << "COMPILE=1 with torchneuron planned";
  } catch (const InputError& e) {
    ASSERT_FALSE(e.problems().empty());
    EXPECT_EQ(e.problems()[0].key, "COMPILE");
  }
}

}  // namespace
}  // namespace trn
