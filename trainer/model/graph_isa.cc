#include "trainer/model/graph_isa.h"

#include <cstdlib>

namespace trn::native {

// Each level's defining features (the psABI's list, less those every CPU with them
// has), by name: clang 14 (the fuzz build) knows no level names in the builtin.
int host_isa_level() {
#if defined(__x86_64__) && defined(__GNUC__)
  __builtin_cpu_init();
  const bool v2 =
      __builtin_cpu_supports("sse4.2") && __builtin_cpu_supports("ssse3") && __builtin_cpu_supports("popcnt");
  const bool v3 = v2 && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
                  __builtin_cpu_supports("bmi") && __builtin_cpu_supports("bmi2");
  const bool v4 = v3 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                  __builtin_cpu_supports("avx512cd") && __builtin_cpu_supports("avx512dq") &&
                  __builtin_cpu_supports("avx512vl");
  return v4 ? 4 : v3 ? 3 : v2 ? 2 : 1;
#else
  return 0;
#endif
}

std::string isa_name(int level) {
  if (level <= 0) return "";
  return level == 1 ? "x86-64" : "x86-64-v" + std::to_string(level);
}

bool choose_graph_isa(int host_level, const std::string& requested, std::string* isa, std::string* error) {
  if (requested.empty()) return *isa = isa_name(host_level), true;
  for (int level = 1; level <= 4; ++level)
    if (requested == isa_name(level)) {
      if (level <= host_level) return *isa = requested, true;
      *error = "TRN_NATIVE_ISA = " + requested + ": this CPU supports " +
               (host_level > 0 ? "at most " + isa_name(host_level) : std::string("no x86-64 level")) +
               ": name that or a lower level, or unset it";
      return false;
    }
  *error = "TRN_NATIVE_ISA = " + requested + ": not an instruction-set level: give x86-64, x86-64-v2, x86-64-v3 or " +
           "x86-64-v4 (at most this CPU's), or unset it for this CPU's own";
  return false;
}

bool graph_isa(std::string* isa, std::string* error) {
  const char* env = std::getenv("TRN_NATIVE_ISA");
  return choose_graph_isa(host_isa_level(), env ? env : "", isa, error);
}

}  // namespace trn::native
