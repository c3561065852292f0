#include "launcher/errors.h"

namespace trn {
namespace {
std::string join(const std::vector<Problem>& problems) {
  std::string s;
  for (const auto& p : problems) s += (s.empty() ? "" : "\n") + p.str();
  return s;
}
}  // namespace

InputError::InputError(std::vector<Problem> problems) : std::runtime_error(join(problems)), problems_(std::move(problems)) {}
InputError::InputError(const std::string& message) : std::runtime_error(message) {}

}  // namespace trn
