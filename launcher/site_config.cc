#include "launcher/site_config.h"

#include <sys/stat.h>

#include "launcher/yaml_util.h"

#ifndef TRN_SYSCONFDIR
#define TRN_SYSCONFDIR "/etc/trn-train"
#endif

namespace trn {

std::string default_site_path() { return "/etc/trn-train/site.yaml"; }

SiteConfig load_site_config_file(const std::string& path) {
  SiteConfig site;
  site.path = path;
  const YAML::Node root = load_yaml_file(path);
  std::vector<Problem> problems;
  check_keys(root, "site", {"conf_dirs", "cache_root", "ports", "partition", "sbatch_flags", "instance", "log_dir",
                            "host_addresses"},
             &problems);
  check_keys(root["ports"], "site.ports", {"master", "root_comm"}, &problems);
  auto str = [&](const char* key, std::string* out) {
    if (auto v = get_string(root, key, &problems)) *out = *v;
  };
  str("cache_root", &site.cache_root);
  str("ports.master", &site.master_ports);
  str("ports.root_comm", &site.root_comm_ports);
  str("partition", &site.partition);
  str("instance", &site.instance);
  str("log_dir", &site.log_dir);
  auto list = [&](const char* key, std::vector<std::string>* out) {
    const YAML::Node n = root[key];
    if (!n.IsDefined() || n.IsNull()) return;
    if (!n.IsSequence()) {
      problems.push_back({std::string("site.") + key, scalar_text(n), "must be a list of strings"});
      return;
    }
    for (const auto& item : n) out->push_back(item.as<std::string>());
  };
  list("conf_dirs", &site.conf_dirs);
  list("sbatch_flags", &site.sbatch_flags);
  if (const YAML::Node h = root["host_addresses"]; h.IsDefined() && !h.IsNull()) {
    if (!h.IsMap()) {
      problems.push_back({"site.host_addresses", scalar_text(h), "must map host names to IPv4 addresses"});
    } else {
      for (const auto& kv : h) site.host_addresses[kv.first.as<std::string>()] = kv.second.as<std::string>();
    }
  }
  for (auto& p : problems) p.key = path + ": " + p.key;
  if (!problems.empty()) throw InputError(problems);
  return site;
}

SiteConfig load_site_config(const EnvMap& env) {
  if (auto p = lookup(env, "TRN_TRAIN_SITE_CONF"); p && !p->empty()) {
    struct stat st;
    if (stat(p->c_str(), &st) != 0) {
      throw InputError({{"TRN_TRAIN_SITE_CONF", *p, "names a file that does not exist; fix the path or unset it"}});
    }
    return load_site_config_file(*p);
  }
  struct stat st;
  if (stat(default_site_path().c_str(), &st) == 0) return load_site_config_file(default_site_path());
  // An installed sysconfdir other than /etc (e.g. /usr/local/etc) is the second place.
  const std::string installed = std::string(TRN_SYSCONFDIR) + "/site.yaml";
  if (installed != default_site_path() && stat(installed.c_str(), &st) == 0) return load_site_config_file(installed);
  return SiteConfig{};
}

}  // namespace trn
