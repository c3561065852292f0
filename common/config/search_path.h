// Where config names are looked up, like train.sh's `conf/<name>.yaml` but through
// a search path: ./conf, the site's conf_dirs, the installed share/trn-train/conf,
// then the conf/ next to the running binary's tree (an uninstalled build finds the
// repository's configs from any directory).
#pragma once

#include <string>
#include <vector>

#include "common/config/site_file.h"
#include "common/problem.h"

namespace trn::config {

std::vector<std::string> config_search_path(const SiteConfig& site);

// A value containing '/' or ending in .yaml/.yml is a path; anything else is a name
// looked up as <dir>/<name>.yaml. Returns the absolute path, or "" with a Problem
// (key `key`, e.g. "CONF_FILE") listing the directories searched.
std::string resolve_config(const std::string& key, const std::string& conf, const std::vector<std::string>& search,
                           Problems* problems);

// The first <dir>/<file> that exists along `dirs`, or "".
std::string find_in(const std::vector<std::string>& dirs, const std::string& file);

}  // namespace trn::config
