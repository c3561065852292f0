// libFuzzer: a model config end to end through the launcher: YAML parse, Hydra
// overrides (the input's last line, split on spaces), the strict launch: block,
// the training keys, validation and the pure planner, for a 16-node Slurm step.
// Every input must end in a Plan or in InputError's Problems (exit 2 in the
// command); any other exception, crash, hang or wrap-around is a finding.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

#include "common/config/document.h"
#include "launcher/errors.h"
#include "launcher/plan/plan.h"

namespace {

const trn::InstanceCatalog& catalog() {
  static const trn::InstanceCatalog cat = [] {
    // Run from the build's fuzz folder or the repository root.
    for (const char* p : {"conf/instances.yaml", "../../conf/instances.yaml"}) {
      if (::access(p, R_OK) == 0) return trn::load_instance_catalog(p);
    }
    std::fprintf(stderr, "fuzz_config_plan: conf/instances.yaml not found\n");
    std::abort();
  }();
  return cat;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> overrides;
  if (auto nl = text.rfind('\n'); nl != std::string::npos) {
    std::istringstream words(text.substr(nl + 1));
    for (std::string w; words >> w;) overrides.push_back(w);
    text.resize(nl);
  }
  static const std::string path = "/tmp/trn-fuzz-config-" + std::to_string(::getpid()) + ".yaml";
  if (FILE* f = std::fopen(path.c_str(), "w")) {
    std::fwrite(text.data(), 1, text.size(), f);
    std::fclose(f);
  }
  trn::PlanInputs in;
  in.catalog = catalog();
  in.env = {{"SLURM_JOB_ID", "77"},         {"SLURM_STEP_ID", "0"},        {"SLURM_NODEID", "3"},
            {"SLURM_PROCID", "3"},          {"SLURM_STEP_NUM_NODES", "16"}, {"SLURM_STEP_NUM_TASKS", "16"},
            {"SLURM_STEP_TASKS_PER_NODE", "1(x16)"}, {"SLURM_STEP_NODELIST", "trn1-st-trn1-[1-16]"}};
  in.resolve = [](const std::string&) { return std::string("10.0.0.1"); };
  try {
    in.config = trn::load_config(path, overrides, in.site);
    in.launch = trn::detect_launch_env(in.env, std::nullopt);
    const trn::Plan p = trn::make_plan(in);
    if (p.world_size < 1 || p.dp < 1 || p.nodes < 1 || p.procs_per_node < 1) __builtin_trap();
    (void)trn::effective_config_text(in.config);
  } catch (const trn::InputError& e) {
    if (e.problems().empty()) __builtin_trap();  // a refusal must say why
  }
  return 0;
}
