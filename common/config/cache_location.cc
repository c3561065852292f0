#include "common/config/cache_location.h"

#include <cstdlib>
#include <filesystem>
#include <iterator>

#include "common/cc_flags.h"
#include "common/size_text.h"

namespace trn::config {
namespace {

std::string env_value(const EnvMap& env, const char* name) { return lookup(env, name).value_or(""); }

std::string strip_file_scheme(const std::string& url) { return url.rfind("file://", 0) == 0 ? url.substr(7) : url; }

// A config's relative path, taken from the config's folder (config_paths.h); absolute
// paths, URLs (s3://) and values with no config behind them stay as written.
std::string from_config_dir(const std::string& value, const std::string& config_dir) {
  if (value.empty() || value[0] == '/' || value.find("://") != std::string::npos || config_dir.empty()) return value;
  return (std::filesystem::path(config_dir) / value).lexically_normal().string();
}

bool seconds(const EnvMap& env, const char* name, double* out, Problems* problems) {
  const std::string v = env_value(env, name);
  if (v.empty()) return true;
  char* end = nullptr;
  const double x = std::strtod(v.c_str(), &end);
  if (end == v.c_str() || *end != '\0' || !(x > 0) || x > 86400) {
    problems->push_back({name, v, "must be a number of seconds greater than 0 and at most 86400"});
    return false;
  }
  *out = x;
  return true;
}

}  // namespace

CacheSettings resolve_cache_settings(const CacheSources& src, const EnvMap& env, Problems* problems) {
  CacheSettings s;
  const std::string cc_flags = env_value(env, "NEURON_CC_FLAGS");
  const std::string site = src.site_path.empty() ? std::string("site file") : src.site_path;
  const struct {
    std::string value, source;
  } rules[] = {
      {src.explicit_dir, "--dir"},
      {env_value(env, "TRN_TRAIN_CACHE_DIR"), "TRN_TRAIN_CACHE_DIR"},
      {cc_flag_value(cc_flags, "--cache_dir"), "--cache_dir in NEURON_CC_FLAGS"},
      {strip_file_scheme(env_value(env, "NEURON_COMPILE_CACHE_URL")), "NEURON_COMPILE_CACHE_URL"},
      {from_config_dir(src.launch_dir, src.config_dir), "launch.cache_dir in the config"},
      {src.site_root, "cache_root in " + site},
      {from_config_dir(strip_file_scheme(src.config_url), src.config_dir), "compiler_cache_url in the config"},
      {"/var/tmp/neuron-compile-cache", "default (node-local)"},
  };
  for (const auto& r : rules) {
    if (r.value.empty()) continue;
    s.dir = r.value;
    s.dir_source = r.source;
    s.node_local_default = &r == &rules[std::size(rules) - 1];
    break;
  }
  while (s.dir.size() > 1 && s.dir.back() == '/') s.dir.pop_back();

  s.group = env_value(env, "TRN_CACHE_GROUP");
  if (s.group.empty()) s.group = src.site_group;

  const std::string env_size = env_value(env, "TRN_CACHE_MAX_SIZE");
  const std::string size_text = env_size.empty() ? src.site_max_size : env_size;
  if (!size_text.empty() && !parse_size(size_text, &s.max_bytes)) {
    problems->push_back({env_size.empty() ? "cache_max_size in " + site : std::string("TRN_CACHE_MAX_SIZE"), size_text,
                         "must be a size such as 500G, 1.5T or 800M (below 8 EiB)"});
  }

  s.retry_failed = env_value(env, "TRN_CACHE_RETRY_FAILED") == "1" || has_cc_flag(cc_flags, "--retry_failed_compilation");
  seconds(env, "TRN_CACHE_HEARTBEAT_S", &s.timing.heartbeat_s, problems);
  seconds(env, "TRN_CACHE_STALE_S", &s.timing.stale_s, problems);
  // A lock must be able to miss a heartbeat or two before it counts as stale.
  if (s.timing.stale_s < 2 * s.timing.heartbeat_s) s.timing.stale_s = 3 * s.timing.heartbeat_s;
  return s;
}

}  // namespace trn::config
