#include "common/config/search_path.h"

#include <filesystem>

#include "common/nearest.h"

#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef TRN_DATADIR
#define TRN_DATADIR "/usr/share/trn-train"
#endif

namespace trn::config {
namespace {

bool is_file(const std::string& p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

std::string absolute(const std::string& p) {
  char buf[PATH_MAX];
  return ::realpath(p.c_str(), buf) ? std::string(buf) : p;
}

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() > tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

// build/bin/../../conf (a build tree) and prefix/bin/../share/trn-train/conf.
std::vector<std::string> dirs_near_binary() {
  char buf[PATH_MAX];
  const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return {};
  const std::string exe(buf, static_cast<size_t>(n));
  const std::string bindir = exe.substr(0, exe.rfind('/'));
  return {bindir + "/../share/trn-train/conf", bindir + "/../../conf"};
}

}  // namespace

std::vector<std::string> config_search_path(const SiteConfig& site) {
  std::vector<std::string> dirs{"./conf"};
  dirs.insert(dirs.end(), site.conf_dirs.begin(), site.conf_dirs.end());
  dirs.push_back(std::string(TRN_DATADIR) + "/conf");
  for (const auto& d : dirs_near_binary()) dirs.push_back(d);
  return dirs;
}

std::string find_in(const std::vector<std::string>& dirs, const std::string& file) {
  for (const auto& d : dirs)
    if (is_file(d + "/" + file)) return absolute(d + "/" + file);
  return "";
}

std::string resolve_config(const std::string& key, const std::string& conf, const std::vector<std::string>& search,
                           Problems* problems) {
  if (conf.find('/') != std::string::npos || ends_with(conf, ".yaml") || ends_with(conf, ".yml")) {
    if (is_file(conf)) return absolute(conf);
    problems->push_back({key, conf, "no such file; give an existing path or a config name under conf/"});
    return "";
  }
  if (std::string found = find_in(search, conf + ".yaml"); !found.empty()) return found;
  std::string tried;
  std::vector<std::string> names;  // every config name on the path, for "did you mean"
  for (const auto& d : search) {
    tried += (tried.empty() ? "" : ", ") + d;
    std::error_code ec;  // an unreadable folder lists nothing; never an exception
    for (std::filesystem::directory_iterator it(d, ec), end; !ec && it != end; it.increment(ec))
      if (it->path().extension() == ".yaml") names.push_back(it->path().stem().string());
  }
  problems->push_back({key, conf,
                       "no config named '" + conf + ".yaml'" + did_you_mean(conf, names) + " in the search path (" + tried +
                           "); give a path to the YAML, or add its directory to the site file's conf_dirs"});
  return "";
}

}  // namespace trn::config
