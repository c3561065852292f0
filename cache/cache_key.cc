#include "cache/cache_key.h"

#include <sstream>

#include "cache/checksum.h"

namespace trn::cache {

bool compiler_identity_from_binary(const std::string& name, const std::string& path, CompilerIdentity* id,
                                   std::string* error) {
  std::string hex;
  if (!sha256_file(path, &hex, nullptr, error)) return false;
  id->name = name;
  id->version = hex.substr(0, 12);
  return true;
}

static std::vector<std::string> split_flags(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string w;
  while (in >> w) out.push_back(w);
  return out;
}

static std::string join_flags(const std::vector<std::string>& flags) {
  std::string out;
  for (const auto& f : flags) {
    if (!out.empty()) out += ' ';
    out += f;
  }
  return out;
}

static std::vector<std::string> normalise_flags(const std::vector<std::string>& flags) {
  std::vector<std::string> words;
  for (const auto& f : flags)
    for (auto& w : split_flags(f)) words.push_back(w);
  static const char* with_value[] = {"--cache_dir", "--log_level"};
  static const char* bare[] = {"--no_cache", "--retry_failed_compilation"};
  std::vector<std::string> out;
  for (size_t i = 0; i < words.size(); ++i) {
    const std::string& w = words[i];
    bool drop = false;
    for (const char* b : bare) drop = drop || w == b;
    for (const char* v : with_value) {
      std::string k = v;
      if (w == k) {
        drop = true;
        ++i;  // and its value
      } else if (w.rfind(k + "=", 0) == 0) {
        drop = true;
      }
    }
    if (!drop) out.push_back(w);
  }
  return out;
}

std::string CacheKey::module_name() const {
  return "MODULE_" + graph_hash.substr(0, 20) + "+" + flags_hash.substr(0, 8);
}

CacheKey make_key(const CompilerIdentity& compiler, const std::vector<std::string>& flags,
                  const std::string& graph_bytes) {
  CacheKey k;
  k.compiler = compiler;
  k.flags = join_flags(normalise_flags(flags));
  k.flags_hash = sha256_hex(k.flags);
  // The compiler identity is part of the graph hash too, so a key copied into
  // another version's directory by hand can never match.
  Sha256 h;
  h.update(compiler.dir_name());
  h.update("\0", 1);
  h.update(graph_bytes);
  k.graph_hash = h.hex_digest();
  return k;
}

}  // namespace trn::cache
