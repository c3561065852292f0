#include "common/problem.h"

namespace trn {

int report_problems(const char* tool, const Problems& problems, std::FILE* out) {
  for (const auto& p : problems) std::fprintf(out, "%s: error: %s\n", tool, p.str().c_str());
  return kExitBadInput;
}

}  // namespace trn
