// trn-train: entry point. Skeleton until the launcher lands (issue 3): it parses the
// command line and prints what it would plan from the Slurm environment.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <cstdlib>

int main(int argc, char** argv) {
  CLI::App app{"trn-train: validated launches of Llama pre-training on AWS Trainium under Slurm"};
  app.set_version_flag("--version", std::string("trn-train ") + TRN_VERSION);
  app.require_subcommand(0, 1);
  auto* plan = app.add_subcommand("plan", "Print the launch plan for this task without running anything");
  CLI11_PARSE(app, argc, argv);
  if (plan->parsed() || app.get_subcommands().empty()) {
    auto env = [](const char* k) { const char* v = std::getenv(k); return v ? v : "-"; };
    std::printf("node %s/%s host %s job %s nodelist %s\n", env("SLURM_NODEID"), env("SLURM_NNODES"),
                env("SLURMD_NODENAME"), env("SLURM_JOB_ID"), env("SLURM_JOB_NODELIST"));
  }
  return 0;
}
