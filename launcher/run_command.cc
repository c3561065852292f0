// `trn-train run` (what srun runs): plan this task, write the effective config into
// the node's log folder, export the plan's environment and exec the backend.
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "common/fs.h"
#include "launcher/commands.h"
#include "launcher/errors.h"

namespace trn {

int run_command(const CommonOptions& opts) {
  LoadedConfig cfg;
  const Plan p = build_plan(opts, current_environment(), &cfg);
  if (p.master_addr.empty()) {
    throw InputError({{"master_addr", "(unknown)",
                       "a multi-node run needs a launch environment (srun, mpirun, AWS Batch or torchrun variables); "
                       "use `srun trn-train run` inside the allocation"}});
  }
  if (p.backend == Backend::kNative && access(p.command[0].c_str(), X_OK) != 0) {
    throw InputError({{"launch.backend", "native",
                       "the bundled trainer " + p.command[0] + " is missing or not executable; build it (make) or "
                       "install trn-train-native next to trn-train"}});
  }
  // Per-restart, per-node log directory, like train_setup.sh's logs/<job>/<restart>/<node>/.
  if (std::string why; !make_dirs(p.log_dir, 0775, &why)) {
    throw InputError({{"launch.log_dir", p.log_dir, why + " (set launch.log_dir or the site log_dir to a writable place)"}});
  }
  // What ran is on disk for every run; the native backend reads exactly this file.
  if (std::string why; !write_file_atomic(p.effective_config, effective_config_text(cfg), 0644, &why)) {
    throw InputError({{"launch.log_dir", p.log_dir, why + " (set launch.log_dir or the site log_dir to a writable place)"}});
  }
  for (const auto& [k, v] : p.env) setenv(k.c_str(), v.c_str(), 1);
  std::vector<char*> argv;
  for (const auto& a : p.command) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::fflush(nullptr);
  execvp(argv[0], argv.data());
  std::fprintf(stderr, "trn-train: error: %s = %s: cannot run it (%s); is it installed and on PATH?\n",
               to_string(p.backend), argv[0], std::strerror(errno));
  return 127;
}

}  // namespace trn
