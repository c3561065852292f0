// Where a relative path in a config resolves: one rule for every key, every backend
// and every command. A relative path — written in the YAML file or given as an
// override — is taken from the folder of the config file, as the README and
// trn-train.yaml(5) say. `trn-train run` writes the resolved, absolute paths into the
// effective config the native backend reads, and hands NxDT absolute overrides for
// them, so no backend resolves them again from its own working directory (the log
// folder, the launch folder).
#pragma once

#include <string>
#include <vector>

#include "common/config/document.h"

namespace trn::config {

// Rewrites each relative path at the keys that name files — model.model_config (a HF
// config.json), data.data_prefix (PREFIX, [PREFIX] or [weight, PREFIX, ...] of a
// Megatron dataset) and compiler_cache_url (a folder; URLs stay) — as `base_dir`/path
// (launch.cache_dir, read by trn-train only, is resolved in cache_location.cc); returns the keys it changed (absent keys and
// absolute paths are left alone).
std::vector<std::string> make_paths_absolute(Document* doc, const std::string& base_dir);

// The PREFIXes of a data.data_prefix value (PREFIX, [PREFIX] or [weight, PREFIX, ...]).
std::vector<std::string> data_prefix_paths(const YAML::Node& value);

}  // namespace trn::config
