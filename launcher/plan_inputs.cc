// build_plan(): the I/O half of planning (see plan.h): reads the environment, the
// site file, the config and the instance catalog, and resolves host names; then
// calls the pure make_plan().
#include <limits.h>
#include <unistd.h>

#include "common/config/search_path.h"
#include "launcher/commands.h"
#include "launcher/errors.h"
#include "launcher/master_addr.h"

namespace trn {

std::string self_bindir() {
  char buf[PATH_MAX];
  const ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return ".";
  std::string exe(buf, static_cast<size_t>(n));
  return exe.substr(0, exe.rfind('/'));
}

config::SiteConfig load_site(const EnvMap& env) {
  config::SiteConfig site;
  Problems problems;
  if (!config::load_site_config(env, &site, &problems)) throw InputError(problems);
  return site;
}

Plan build_plan(const CommonOptions& opts, const EnvMap& env, LoadedConfig* cfg_out) {
  PlanInputs in;
  in.env = env;
  in.site = load_site(env);
  std::string conf = opts.conf;
  if (conf.empty()) conf = lookup(env, "CONF_FILE").value_or("");
  if (conf.empty()) {
    throw InputError({{"CONF_FILE", "(unset)", "name a config: --conf NAME|PATH or export CONF_FILE=NAME"}});
  }
  std::vector<std::string> overrides = opts.overrides;
  if (!opts.instance.empty()) overrides.push_back("launch.instance=" + opts.instance);
  in.config = load_config(conf, overrides, in.site);
  std::vector<std::string> catalog_dirs{in.config.dir};
  for (const auto& d : config::config_search_path(in.site)) catalog_dirs.push_back(d);
  const std::string catalog = config::find_in(catalog_dirs, "instances.yaml");
  if (catalog.empty()) {
    throw InputError({{"instances.yaml", "(not found)", "install conf/instances.yaml next to the configs"}});
  }
  in.catalog = load_instance_catalog(catalog);
  in.launch = detect_launch_env(env, opts.nodes);
  if (opts.compile) {
    in.compile = *opts.compile;
  } else if (auto c = lookup(env, "COMPILE"); c && !c->empty()) {
    if (*c != "0" && *c != "1") throw InputError({{"COMPILE", *c, "must be 0 (train) or 1 (compile only)"}});
    in.compile = *c == "1";
  }
  in.bindir = self_bindir();
  const auto site_hosts = in.site.host_addresses;
  in.resolve = [site_hosts](const std::string& host) { return resolve_ipv4(host, site_hosts); };
  Plan p = make_plan(in);
  if (cfg_out) *cfg_out = in.config;
  return p;
}

}  // namespace trn
