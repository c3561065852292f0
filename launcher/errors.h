// Bad-input errors of the launcher. Every rule violation becomes one Problem naming
// the key, the offending value and the fix; the command prints all of them and exits
// 2 before anything runs. (Exceptions stay inside launcher/: common/ is exception-free.)
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace trn {

struct Problem {
  std::string key;    // e.g. "distributed_strategy.tensor_model_parallel_size"
  std::string value;  // the value as the user wrote it (or derived from)
  std::string fix;    // what to change
  std::string str() const { return key + " = " + value + ": " + fix; }
};

// Thrown for input that stops planning outright (missing file, malformed YAML) or
// carrying the full list of rule violations. main() prints it and returns 2.
class InputError : public std::runtime_error {
 public:
  explicit InputError(std::vector<Problem> problems);
  explicit InputError(const std::string& message);
  const std::vector<Problem>& problems() const { return problems_; }

 private:
  std::vector<Problem> problems_;
};

}  // namespace trn
