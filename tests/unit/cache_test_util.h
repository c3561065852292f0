// Shared helpers for the cache unit tests: scratch dirs and a trivial compiler.
#pragma once

#include <stdlib.h>
#include <unistd.h>

#include <string>

#include "common/fs.h"
#include "cache/compile_cache.h"

namespace cachetest {

inline std::string scratch_dir() {
  char tmpl[] = "/tmp/trn-cache-unit.XXXXXX";
  return ::mkdtemp(tmpl);
}

inline void put(const std::string& path, const std::string& text) {
  trn::write_file_atomic(path, text, 0644, nullptr);
}

// A cache on `dir` that prints nothing.
inline trn::cache::CacheOptions quiet_options(const std::string& dir) {
  trn::cache::CacheOptions o;
  o.dir = dir;
  o.quiet = true;
  return o;
}

// A compiler whose output is `bytes` copies of 'a' (to fill caches and disks).
inline trn::cache::CompileFn sized_compiler(size_t bytes) {
  return [bytes](const trn::cache::CompileRequest& r) {
    return trn::write_file_atomic(r.output_path, std::string(bytes, 'a'), 0644, nullptr) ? 0 : 1;
  };
}

// Compiles by copying "compiled:" + the input path; counts invocations.
inline trn::cache::CompileFn copy_compiler(int* calls, int exit_code = 0) {
  return [calls, exit_code](const trn::cache::CompileRequest& r) {
    ++*calls;
    if (exit_code != 0) {
      put(r.log_path, "compiler says: boom\n");
      return exit_code;
    }
    return trn::write_file_atomic(r.output_path, "compiled:" + r.input_path, 0644, nullptr) ? 0 : 1;
  };
}

}  // namespace cachetest
