// The graphs compiled for a shape with the real host compiler into a scratch compile
// cache (one per test process, removed at exit), shared by the tests that compare
// compiled and generic kernels.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <tuple>

#include "trainer/model/native_graphs.h"

namespace trn::native::test_support {

// Small enough to check every parameter by finite differences; T spans more than one
// query and one key tile of the flash attention; 2 query heads per kv head.
inline ModelShape tiny_shape() {
  ModelShape s;
  s.vocab_size = 11, s.hidden_size = 8, s.intermediate_size = 12, s.num_layers = 2;
  s.num_heads = 4, s.num_kv_heads = 2, s.seq_length = 70;
  return s;
}

inline std::filesystem::path scratch_cache_dir() {
  static const struct Dir {
    std::filesystem::path path =
        std::filesystem::temp_directory_path() / ("trn-kernels-test-" + std::to_string(::getpid()));
    ~Dir() { std::filesystem::remove_all(path); }
  } dir;
  return dir.path;
}

inline CacheSettings scratch_cache() {
  Problems problems;
  return graph_cache_settings("", {{"TRN_TRAIN_CACHE_DIR", scratch_cache_dir().string()}}, &problems);
}

// Compiles (once per shape, level and process) and loads every graph of `s`, built for
// `isa` (default: the host's level); *error on failure.
inline bool compiled_kernels(const ModelShape& s, KernelTable* out, std::string* error,
                             const std::optional<std::string>& isa = std::nullopt) {
  using Key = std::tuple<int, int, int, int, int, int, std::string>;
  static std::map<Key, KernelTable> loaded;
  const Key key{s.vocab_size, s.hidden_size,  s.intermediate_size, s.num_heads,
                s.num_kv_heads, s.seq_length, isa.value_or("(host)")};
  if (auto it = loaded.find(key); it != loaded.end()) return *out = it->second, true;
  if (compile_graphs(s, scratch_cache(), 0, error, isa) != 0 || !load_graphs(s, scratch_cache(), out, error, isa))
    return false;
  loaded[key] = *out;
  return true;
}

}  // namespace trn::native::test_support
