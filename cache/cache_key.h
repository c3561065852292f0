// What identifies a compiled artifact: the compiler's identity, the normalised
// flags and the graph's content. Never mtimes: on a shared filesystem mtimes
// differ between nodes and after copies, so they would split or poison entries.
//
// Layout of a key on disk, the same shape as Neuron's persistent cache:
//   <root>/<compiler>-<version>/MODULE_<graph hash, 20 hex>+<flags hash, 8 hex>/
#pragma once

#include <string>
#include <vector>

namespace trn::cache {

struct CompilerIdentity {
  std::string name;     // "neuronxcc", "g++", ...
  std::string version;  // "2.15.128.0+56dc5a86", or a content hash of the compiler binary
  std::string dir_name() const { return name + "-" + version; }
};

// Identity of a compiler binary by content (sha256 of the file, first 12 hex),
// for compilers that cannot tell their version. False when unreadable.
bool compiler_identity_from_binary(const std::string& name, const std::string& path, CompilerIdentity* id,
                                   std::string* error);


struct CacheKey {
  CompilerIdentity compiler;
  std::string graph_hash;  // sha256 hex of the graph bytes
  std::string flags_hash;  // sha256 hex of the normalised flags
  std::string flags;       // normalised, space-joined (recorded in the entry)
  std::string module_name() const;  // MODULE_<20 hex>+<8 hex>
  std::string relative_dir() const { return compiler.dir_name() + "/" + module_name(); }
};

// The flags (each may hold several words) are normalised first: flags that only
// steer the cache wrapper (--cache_dir, --no_cache, --retry_failed_compilation,
// --log_level, with their values) are dropped and whitespace is collapsed. Order of
// the remaining flags is kept: for most compilers a later flag overrides an earlier
// one, so order is meaning.
CacheKey make_key(const CompilerIdentity& compiler, const std::vector<std::string>& flags,
                  const std::string& graph_bytes);

}  // namespace trn::cache
