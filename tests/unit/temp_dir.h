// Shared by the unit tests of every module: a private folder under /tmp that goes away
// with all it holds (links inside are removed, never followed), and a file's text.
#pragma once

#include <stdlib.h>

#include <string>

#include "common/fs.h"

namespace trn::test {

struct TempDir {
  std::string path;
  TempDir() {
    char name[] = "/tmp/trn-test-XXXXXX";
    path = ::mkdtemp(name);
  }
  ~TempDir() { remove_tree(path); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
};

// The whole file ("" when it cannot be read: the test's expectation then says what is missing).
inline std::string slurp(const std::string& path) {
  std::string out;
  read_file(path, &out);
  return out;
}

}  // namespace trn::test
