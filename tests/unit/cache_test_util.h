// Shared helpers for the cache unit tests: scratch dirs, trivial compilers, a fixture
// with an open cache and one graph.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <string>

#include "common/fs.h"
#include "cache/compile_cache.h"
#include "cache/cache_key.h"

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

class CacheFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = scratch_dir();
    opt_ = quiet_options(root_ + "/cache");
    opt_.timing = {0.1, 0.5};
    std::string err;
    ASSERT_TRUE(trn::cache::CompileCache::open(opt_, &cache_, &err)) << err;
    graph_ = root_ + "/g1.hlo";
    put(graph_, "graph one");
    key_ = trn::cache::make_key({"testcc", "1.0"}, {"-O2"}, "graph one");
  }
  void TearDown() override { trn::remove_tree(root_); }
  std::string root_, graph_;
  trn::cache::CacheOptions opt_;
  std::unique_ptr<trn::cache::CompileCache> cache_;
  trn::cache::CacheKey key_;
};

}  // namespace cachetest
