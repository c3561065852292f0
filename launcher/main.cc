// trn-train: validated launches of Llama pre-training on AWS Trainium under Slurm.
// `srun trn-train` (= run) computes this task's Plan and supervises the backend; `plan`
// prints it; `submit` sbatches compile-then-train; `cache` maintains the shared
// compile cache; `preflight` checks every node of a job. Bad input: one
// `error: key = value: fix` line per problem on stderr and exit status 2, before
// anything runs.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "common/nearest.h"
#include "common/standard_fds.h"
#include "launcher/commands/cache_command.h"
#include "launcher/commands/commands.h"
#include "launcher/commands/data_command.h"
#include "launcher/commands/status_command.h"
#include "launcher/commands/worker_command.h"
#include "launcher/errors.h"
#include "launcher/health/health_command.h"
#include "launcher/preflight/preflight_command.h"
#include "launcher/neuron/neuron_compile.h"

namespace {

constexpr const char* kTool = "trn-train";
const std::vector<std::string> kCommands{"plan",      "run",    "submit", "cache",  "data",  "neuron-compile",
                                         "preflight", "worker", "status", "health"};

void add_common(CLI::App* cmd, trn::CommonOptions* o) {
  cmd->add_option("--conf", o->conf, "Config name (searched in ./conf, site conf_dirs, installed conf/) or path; "
                                     "default $CONF_FILE");
  cmd->add_option("--instance", o->instance, "Instance type from conf/instances.yaml (overrides launch.instance)");
  cmd->add_option("overrides", o->overrides, "Hydra-style overrides KEY.SUB=VALUE, e.g. trainer.max_steps=10");
}

std::string joined(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

// `srun trn-train --conf X` and `srun trn-train trainer.max_steps=30` mean `run`
// (the man page's synopsis: trn-train [run] [--conf ...]). A bare word that is not a
// command is refused with the list of commands rather than taken as an override.
bool check_command(std::vector<std::string>* args, trn::Problems* problems) {
  if (args->size() < 2) {
    args->push_back("run");
    return true;
  }
  const std::string& first = (*args)[1];
  if (first == "cache" && args->size() > 2 && (*args)[2][0] != '-') {
    const std::vector<std::string> cache_commands{"status", "verify", "clean", "clear-locks"};
    for (const auto& c : cache_commands)
      if ((*args)[2] == c) return true;
    problems->push_back({"cache command", (*args)[2],
                         "unknown" + trn::did_you_mean((*args)[2], cache_commands) + "; the cache commands are " +
                             joined(cache_commands) + " (see trn-train cache --help)"});
    return false;
  }
  for (const auto& c : kCommands)
    if (first == c) return true;
  if (first == "-h" || first == "--help" || first == "--version") return true;
  if (first[0] == '-' || first.find('=') != std::string::npos) {
    // `trn-train --conf X plan` would run, with `plan` taken as an override: the
    // command must come first, so say so instead.
    for (size_t i = 2; i < args->size(); ++i) {
      const std::string& a = (*args)[i];
      const bool option_value = (*args)[i - 1].rfind("--", 0) == 0 && (*args)[i - 1].find('=') == std::string::npos;
      if (!option_value && std::find(kCommands.begin(), kCommands.end(), a) != kCommands.end()) {
        problems->push_back({"command", a, "comes first: trn-train " + a + " [OPTIONS] [KEY=VALUE...]"});
        return false;
      }
    }
    args->insert(args->begin() + 1, "run");
    return true;
  }
  problems->push_back({"command", first,
                       "unknown" + trn::did_you_mean(first, kCommands) + "; the commands are " + joined(kCommands) +
                           " (see trn-train --help)"});
  return false;
}

// --nodes as our own check, so the message is ours and not CLI11's floating-point range.
bool parse_nodes(const std::string& text, std::optional<int>* nodes, trn::Problems* problems) {
  if (text.empty()) return true;
  int v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v < 1 || v > 65536) {
    problems->push_back({"--nodes", text, "must be a whole number of nodes from 1 to 65536"});
    return false;
  }
  *nodes = v;
  return true;
}

// CLI11's parse errors in our vocabulary: which command, what it said, where help is.
int report_parse_error(const CLI::App& app, const CLI::ParseError& e) {
  const CLI::App* cmd = &app;
  for (const CLI::App* sub = &app; sub;) {
    const auto subs = sub->get_subcommands();
    sub = subs.empty() ? nullptr : subs.front();
    if (sub) cmd = sub;
  }
  std::string name = cmd == &app ? std::string(kTool) : std::string(kTool) + " " + cmd->get_name();
  if (cmd->get_parent() && cmd->get_parent() != &app) name = std::string(kTool) + " cache " + cmd->get_name();
  return trn::report_problems(kTool, {{name, e.what(), "see `" + name + " --help`"}});
}

// CLI11's parse; help, version and bad usage become the exit status to return at once
// (nullopt: parsed, go on).
std::optional<int> parse_cli(CLI::App& app, const std::vector<std::string>& args) {
  std::vector<const char*> cargv;
  for (const auto& a : args) cargv.push_back(a.c_str());
  try {
    app.parse(static_cast<int>(cargv.size()), cargv.data());
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return report_parse_error(app, e);
  }
  return std::nullopt;
}

}  // namespace

int main(int argc, char** argv) {
  // Before anything opens a file (every command writes some): a closed 1 or 2 would be
  // taken by it, and run's console log would get each backend line twice.
  if (std::string why; !trn::open_standard_fds(&why)) return 1;  // nowhere to say it
  std::vector<std::string> args(argv, argv + argc);
  // `worker` takes the rest of its argv as the command it becomes, options included, so
  // it is not parsed by CLI11 (listed there only for --help).
  if (args.size() > 1 && args[1] == "worker") return trn::worker_command({args.begin() + 2, args.end()});
  trn::Problems problems;
  if (!check_command(&args, &problems)) return trn::report_problems(kTool, problems);

  CLI::App app{"trn-train: validated launches of Llama pre-training on AWS Trainium under Slurm.\n"
               "Without a command, `trn-train [OPTIONS] [KEY=VALUE...]` is `trn-train run`."};
  app.set_version_flag("--version", std::string("trn-train ") + TRN_VERSION +
                                        "\nspank_neuron.so built against Slurm " + TRN_SLURM_VERSION);
  app.require_subcommand(0, 1);
  int exit_code = 0;

  trn::CommonOptions plan_opts, run_opts, submit_opts, compile_opts;
  bool json = false, dry_run = false, compile_only = false, train_only = false;
  std::string nodes_text;
  auto* plan = app.add_subcommand("plan", "Print this task's launch plan (validated) without running anything");
  add_common(plan, &plan_opts);
  plan->add_option("--nodes", nodes_text, "Node count to plan for when no launch environment is present");
  plan->add_flag("--json", json, "Print the plan as JSON");
  plan->add_flag("--compile,!--no-compile", [&](int64_t n) { plan_opts.compile = n > 0; }, "Plan the COMPILE=1 run");

  auto* run = app.add_subcommand("run", "Compute the plan and run the backend under supervision (what srun runs; the default)");
  add_common(run, &run_opts);
  run->add_flag("--compile,!--no-compile", [&](int64_t n) { run_opts.compile = n > 0; },
                "Compile only (default: $COMPILE)");

  auto* submit = app.add_subcommand("submit", "Submit the compile job and the train job that depends on it (torchneuron: the train job alone)");
  add_common(submit, &submit_opts);
  submit->add_option("--nodes", nodes_text, "Node count (default launch.nodes, else trainer.num_nodes)");
  submit->add_flag("--dry-run", dry_run, "Print the sbatch command lines instead of submitting");
  auto* co = submit->add_flag("--compile-only", compile_only, "Submit only the compile job");
  submit->add_flag("--train-only", train_only, "Submit only the train job")->excludes(co);

  auto* ncompile = app.add_subcommand("neuron-compile", "Compile the graphs `neuron_parallel_compile --command collect` "
                                      "left in the cache, each once across all nodes (what `run` does after COMPILE=1's collect)");
  add_common(ncompile, &compile_opts);

  trn::CommonOptions preflight_opts;
  int preflight_timeout = trn::kPreflightDefaultTimeout;
  auto* preflight = app.add_subcommand("preflight", "Check every node of the allocation against the plan before a long job "
                                       "(srun --ntasks-per-node=1 trn-train preflight); names the bad nodes");
  add_common(preflight, &preflight_opts);
  preflight->add_option("--timeout", preflight_timeout, "Seconds node 0 waits for the other nodes' rows")
      ->check(CLI::Range(1, 86400));
  bool preflight_collective = false;
  preflight->add_flag("--collective", preflight_collective, "Then nccom-test all-reduce between node pairs (Trainium): names a slow node");

  app.add_subcommand("worker", "The exec step `run` puts between torchrun and each torchneuron worker: one core "
                              "per worker, by LOCAL_RANK (trn-train worker --help)");

  trn::add_cache_command(app, &exit_code);  // cache status|verify|clean|clear-locks (runs during parse)
  trn::add_data_command(app, &exit_code);   // data: tokenize text into a dataset (runs during parse)
  trn::add_status_command(app, &exit_code); // status: a job across its restarts (runs during parse)
  trn::add_health_command(app, &exit_code); // health: Slurm's HealthCheckProgram (runs during parse)

  if (const std::optional<int> done = parse_cli(app, args)) return *done;
  try {
    std::optional<int> nodes;
    if (!parse_nodes(nodes_text, &nodes, &problems)) return trn::report_problems(kTool, problems);
    plan_opts.nodes = submit_opts.nodes = nodes;
    if (plan->parsed()) return trn::plan_command(plan_opts, json);
    if (submit->parsed()) return trn::submit_command(submit_opts, dry_run, compile_only, train_only);
    if (run->parsed()) return trn::run_command(run_opts);
    if (preflight->parsed()) return trn::preflight_command(preflight_opts, preflight_timeout, preflight_collective);
    if (ncompile->parsed()) return trn::neuron_compile_command(compile_opts);
    return exit_code;
  } catch (const trn::InputError& e) {
    return trn::report_problems(kTool, e.problems());
  } catch (const std::exception& e) {
    // Not bad input but a failure we did not foresee: one line, never a stack trace.
    std::fprintf(stderr, "%s: error: %s\n", kTool, e.what());
    return 1;
  }
}
