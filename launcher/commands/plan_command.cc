#include <cstdio>

#include "launcher/commands/commands.h"
#include "launcher/plan/plan_output.h"

namespace trn {

int plan_command(const CommonOptions& opts, bool json) {
  const Plan p = build_plan(opts, current_environment());
  const std::string out = json ? plan_to_json(p) : plan_to_table(p);
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}

}  // namespace trn
