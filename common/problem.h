// The one error vocabulary of trn-train: every piece of bad input is reported as a
// Problem naming the key (or path, or option), the value found and the fix, printed
// as `error: key = value: fix`, and every command exits 2 for bad input.
//
// Plain data and exception-free: the SPANK plugin, the config library, the cache
// and the trainer all return Problems; only launcher/ wraps them in an exception
// (InputError) to unwind planning, and its main() prints them like everyone else.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

namespace trn {

struct Problem {
  std::string key;    // config key, option, environment variable or path
  std::string value;  // the value as found ("(unset)", "(absent)" when there is none)
  std::string fix;    // what to change
  std::string str() const { return key + " = " + value + ": " + fix; }
};

using Problems = std::vector<Problem>;

// Exit status of every command for bad input.
inline constexpr int kExitBadInput = 2;

// Prints each problem as "<tool>: error: key = value: fix" to `out` and returns
// kExitBadInput, so a main() can `return report_problems("trn-train", problems);`.
int report_problems(const char* tool, const Problems& problems, std::FILE* out = stderr);

}  // namespace trn
