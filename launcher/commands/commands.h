// The `plan`, `run` and `submit` subcommands. Each returns the process exit status
// (0 ok, 2 bad input; `run`: the backend's status, see launcher/commands/supervise.h).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/env_map.h"
#include "launcher/plan/plan.h"

namespace trn {

struct CommonOptions {
  std::string conf;                    // --conf, else CONF_FILE
  std::optional<int> nodes;            // --nodes
  std::string instance;                // --instance overrides launch.instance
  std::optional<bool> compile;         // --compile / --no-compile, else COMPILE
  std::vector<std::string> overrides;  // key.sub=value
};

// Loads everything and computes this task's Plan (throws InputError).
Plan build_plan(const CommonOptions& opts, const EnvMap& env, LoadedConfig* cfg_out = nullptr);

int plan_command(const CommonOptions& opts, bool json);
int run_command(const CommonOptions& opts);
int submit_command(const CommonOptions& opts, bool dry_run, bool compile_only, bool train_only);

std::string self_bindir();
// The site file for this environment (throws InputError).
config::SiteConfig load_site(const EnvMap& env);

}  // namespace trn
