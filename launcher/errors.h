// How planning stops on bad input inside launcher/: an InputError carries every
// Problem found (common/problem.h, the project's one error vocabulary) up to main(),
// which prints them with report_problems() and exits 2 before anything runs.
// Nothing else is thrown at a user: main() also turns any stray exception into one line.
#pragma once

#include <exception>
#include <vector>

#include "common/problem.h"

namespace trn {

class InputError : public std::exception {
 public:
  explicit InputError(Problems problems) : problems_(std::move(problems)) {}
  const Problems& problems() const { return problems_; }
  const char* what() const noexcept override { return "bad input (see problems())"; }

 private:
  Problems problems_;
};

// Throws when `problems` is not empty.
inline void throw_if_any(const Problems& problems) {
  if (!problems.empty()) throw InputError(problems);
}

}  // namespace trn
