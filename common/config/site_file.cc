#include "common/config/site_file.h"

#include <sys/stat.h>
#include <unistd.h>

#include "common/config/document.h"

#ifndef TRN_SYSCONFDIR
#define TRN_SYSCONFDIR "/etc/trn-train"
#endif

namespace trn::config {
namespace {

bool exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}


// The site file steers sbatch flags, the master address and where caches live for
// every user: like the cache, it is trusted only when owned by root or the running
// user and writable by nobody else (the group only when it is root's).
bool trusted(const std::string& path, Problems* problems) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return true;  // Document::load reports it
  const uid_t me = ::geteuid();
  std::string why;
  if (st.st_uid != 0 && st.st_uid != me) {
    why = "is owned by uid " + std::to_string(st.st_uid) + ", neither root nor you; fix: chown root " + path;
  } else if (st.st_mode & S_IWOTH) {
    why = "is writable by every user; fix: chmod o-w " + path;
  } else if ((st.st_mode & S_IWGRP) && st.st_gid != 0) {
    why = "is writable by group " + std::to_string(st.st_gid) + "; fix: chmod g-w " + path;
  }
  if (why.empty()) return true;
  problems->push_back({"site file", path, "not trusted: it " + why});
  return false;
}

}  // namespace

bool load_site_config_file(const std::string& path, SiteConfig* site, Problems* problems) {
  if (!trusted(path, problems)) return false;
  Document doc;
  if (!Document::load(path, &doc, problems)) return false;
  Problems found;
  doc.check_keys("", {"conf_dirs", "cache_root", "cache_group", "cache_max_size", "ports", "partition", "sbatch_flags",
                      "instance", "partitions", "log_dir", "host_addresses"},
                 &found);
  doc.check_keys("ports", {"master"}, &found);
  SiteConfig s;
  s.path = path;
  auto str = [&](const char* key, std::string* out) {
    if (auto v = doc.get_string(key, &found)) *out = *v;
  };
  str("cache_root", &s.cache_root);
  str("cache_group", &s.cache_group);
  str("cache_max_size", &s.cache_max_size);
  str("ports.master", &s.master_ports);
  str("partition", &s.partition);
  str("instance", &s.instance);
  str("log_dir", &s.log_dir);
  if (auto v = doc.get_string_list("conf_dirs", &found)) s.conf_dirs = *v;
  if (auto v = doc.get_string_list("sbatch_flags", &found)) s.sbatch_flags = *v;
  for (const auto& [host, entry] : doc.entries("host_addresses")) {
    Problems bad;
    if (auto ip = entry.get_string("", &bad)) s.host_addresses[host] = *ip;
    if (!bad.empty()) found.push_back({"host_addresses." + host, entry.text(""), "must be an IPv4 address"});
  }
  for (const auto& [partition, entry] : doc.entries("partitions")) {
    Problems bad;
    if (auto type = entry.get_string("", &bad)) s.partitions[partition] = *type;
    if (!bad.empty()) found.push_back({"partitions." + partition, entry.text(""), "must be an instance type name"});
  }
  if (doc.has("partitions") && doc.keys("partitions").empty())
    found.push_back({"partitions", doc.text("partitions"), "must map Slurm partitions to instance types"});
  if (doc.has("host_addresses") && doc.keys("host_addresses").empty())
    found.push_back({"host_addresses", doc.text("host_addresses"), "must map host names to IPv4 addresses"});
  for (auto& p : found) {
    // The root-comm range moved to the plugin, which is what sets NEURON_RT_ROOT_COMM_ID.
    if (p.key == "ports.root_comm") p.fix = "no longer read here: set root_comm_port_range in the plugstack line of spank_neuron.so";
    p.key = path + ": " + p.key;
  }
  problems->insert(problems->end(), found.begin(), found.end());
  if (!found.empty()) return false;
  *site = s;
  return true;
}

bool load_site_config(const EnvMap& env, SiteConfig* site, Problems* problems) {
  if (auto p = lookup(env, "TRN_TRAIN_SITE_CONF"); p && !p->empty()) {
    if (!exists(*p)) {
      problems->push_back({"TRN_TRAIN_SITE_CONF", *p, "names a file that does not exist; fix the path or unset it"});
      return false;
    }
    return load_site_config_file(*p, site, problems);
  }
  // /etc first, then an installed sysconfdir other than /etc (e.g. /usr/local/etc).
  for (const std::string& path : {std::string("/etc/trn-train/site.yaml"), std::string(TRN_SYSCONFDIR) + "/site.yaml"}) {
    if (exists(path)) return load_site_config_file(path, site, problems);
  }
  *site = SiteConfig{};
  return true;
}

}  // namespace trn::config
