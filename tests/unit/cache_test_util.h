// Shared helpers for the cache unit tests: scratch dirs and a trivial compiler.
#pragma once

#include <stdlib.h>
#include <unistd.h>

#include <string>

#include "cache/atomic_file.h"
#include "cache/compile_cache.h"

namespace cachetest {

inline std::string scratch_dir() {
  char tmpl[] = "/tmp/trn-cache-unit.XXXXXX";
  return ::mkdtemp(tmpl);
}

inline void put(const std::string& path, const std::string& text) {
  trn::cache::write_file_atomic(path, text, 0644, nullptr);
}

// Compiles by copying "compiled:" + the input path; counts invocations.
inline trn::cache::CompileFn copy_compiler(int* calls, int exit_code = 0) {
  return [calls, exit_code](const trn::cache::CompileRequest& r) {
    ++*calls;
    if (exit_code != 0) {
      put(r.log_path, "compiler says: boom\n");
      return exit_code;
    }
    return trn::cache::write_file_atomic(r.output_path, "compiled:" + r.input_path, 0644, nullptr) ? 0 : 1;
  };
}

}  // namespace cachetest
