#include <cstdio>

#include "common/process_identity.h"
#include "launcher/commands/commands.h"
#include "launcher/errors.h"
#include "launcher/plan/input_files.h"
#include "launcher/plan/plan_output.h"

namespace trn {

int plan_command(const CommonOptions& opts, bool json) {
  LoadedConfig cfg;
  const Plan p = build_plan(opts, current_environment(), &cfg);
  // Inside an allocation (srun, mpirun, ...) the plan is made on the node that will
  // run: the files the job reads must be there. A login-node plan checks nothing.
  if (p.launch_kind != LaunchKind::kStandalone) {
    const std::string node = p.hosts.empty() ? ProcessIdentity::self().host
                                             : p.hosts.at(static_cast<size_t>(p.node_rank));
    throw_if_any(check_input_files(cfg, node));
  }
  const std::string out = json ? plan_to_json(p) : plan_to_table(p);
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}

}  // namespace trn
