// trn-train: validated launches of Llama pre-training on AWS Trainium under Slurm.
// `srun trn-train` (= run) computes this task's Plan and execs the backend; `plan`
// prints it; `submit` sbatches compile-then-train. Bad input: one message per
// problem on stderr and exit status 2, before anything runs.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <cstdlib>

#include "launcher/cache_command.h"
#include "launcher/commands.h"
#include "launcher/errors.h"

namespace {

void add_common(CLI::App* cmd, trn::CommonOptions* o) {
  cmd->add_option("--conf", o->conf, "Config name (searched in ./conf, site conf_dirs, installed conf/) or path; "
                                     "default $CONF_FILE");
  cmd->add_option("--instance", o->instance, "Instance type from conf/instances.yaml (overrides launch.instance)");
  cmd->add_option("overrides", o->overrides, "Hydra-style overrides KEY.SUB=VALUE, e.g. trainer.max_steps=10");
}

int report(const trn::InputError& e) {
  if (e.problems().empty()) {
    std::fprintf(stderr, "trn-train: error: %s\n", e.what());
  } else {
    std::fprintf(stderr, "trn-train: %zu problem%s, nothing was started:\n", e.problems().size(),
                 e.problems().size() == 1 ? "" : "s");
    for (const auto& p : e.problems()) std::fprintf(stderr, "  error: %s\n", p.str().c_str());
  }
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"trn-train: validated launches of Llama pre-training on AWS Trainium under Slurm"};
  app.set_version_flag("--version", std::string("trn-train ") + TRN_VERSION);
  app.require_subcommand(0, 1);
  int exit_code = 0;

  trn::CommonOptions plan_opts, run_opts, submit_opts;
  bool json = false, dry_run = false, compile_only = false, train_only = false;
  int nodes = 0;
  auto* plan = app.add_subcommand("plan", "Print this task's launch plan (validated) without running anything");
  add_common(plan, &plan_opts);
  plan->add_option("--nodes", nodes, "Node count to plan for when no launch environment is present")->check(CLI::PositiveNumber);
  plan->add_flag("--json", json, "Print the plan as JSON");
  plan->add_flag("--compile,!--no-compile", [&](int64_t n) { plan_opts.compile = n > 0; }, "Plan the COMPILE=1 run");

  auto* run = app.add_subcommand("run", "Compute the plan and exec the backend (what srun runs; the default)");
  add_common(run, &run_opts);
  run->add_flag("--compile,!--no-compile", [&](int64_t n) { run_opts.compile = n > 0; },
                "Compile only (default: $COMPILE)");

  auto* submit = app.add_subcommand("submit", "Submit the compile job and the train job that depends on it");
  add_common(submit, &submit_opts);
  submit->add_option("--nodes", nodes, "Node count (default launch.nodes, else trainer.num_nodes)")->check(CLI::PositiveNumber);
  submit->add_flag("--dry-run", dry_run, "Print the sbatch command lines instead of submitting");
  auto* co = submit->add_flag("--compile-only", compile_only, "Submit only the compile job");
  submit->add_flag("--train-only", train_only, "Submit only the train job")->excludes(co);

  trn::add_cache_command(app, &exit_code);  // cache status|verify|clean|clear-locks (runs during parse)

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  try {
    if (nodes > 0) plan_opts.nodes = submit_opts.nodes = nodes;
    if (plan->parsed()) return trn::plan_command(plan_opts, json);
    if (submit->parsed()) return trn::submit_command(submit_opts, dry_run, compile_only, train_only);
    if (run->parsed() || app.get_subcommands().empty()) return trn::run_command(run_opts);
    return exit_code;
  } catch (const trn::InputError& e) {
    return report(e);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "trn-train: error: %s\n", e.what());
    return 1;
  }
}
