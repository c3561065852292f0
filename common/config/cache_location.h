// The one resolver of the compile-cache settings. Precedence, first match wins:
//
//   dir:   1. --dir (`trn-train cache`)
//          2. TRN_TRAIN_CACHE_DIR
//          3. --cache_dir=D in NEURON_CC_FLAGS       (Neuron's own rule: beats the URL)
//          4. NEURON_COMPILE_CACHE_URL               (user, or the SPANK plugin's cache_dir)
//          5. launch.cache_dir in the model config    (a user's own cache, chosen on purpose)
//          6. cache_root in the site file            (the admin's: one cache for every job)
//          7. compiler_cache_url in the model config (NxDT's example path, e.g. /home/ubuntu/
//                                                      neuron_cache: only where the site has no cache)
//          8. /var/tmp/neuron-compile-cache         (node-local: warned about by `plan`)
//   group: TRN_CACHE_GROUP, else site cache_group
//   size:  TRN_CACHE_MAX_SIZE, else site cache_max_size
//   retry: TRN_CACHE_RETRY_FAILED=1 or --retry_failed_compilation in NEURON_CC_FLAGS
//   locks: TRN_CACHE_HEARTBEAT_S, TRN_CACHE_STALE_S
//
// A relative launch.cache_dir or compiler_cache_url means the config's folder, the one rule
// for every path in a config (config_paths.h): `plan`, `run`, `trn-train cache --conf` and
// the backends all get the same absolute folder. (NxDT's train.sh would hand it to Neuron
// as written, so it would land in the working folder train.sh runs from.) Relative values
// from the environment or --dir are not config paths and stay as given (`run` refuses them).
//
// `trn-train run` exports the result to the backend (TRN_TRAIN_CACHE_DIR, and
// NEURON_COMPILE_CACHE_URL / --cache_dir for the Neuron backends), so every node and
// every later reader of the same job resolves the same directory at step 2.
#pragma once

#include <string>

#include "common/cache_settings.h"
#include "common/env_map.h"
#include "common/problem.h"

namespace trn::config {

struct CacheSources {
  std::string explicit_dir;   // --dir
  std::string launch_dir;     // launch.cache_dir of the model config ("" = none)
  std::string config_url;     // compiler_cache_url of the model config ("" = none)
  std::string config_dir;     // the model config's folder, for the two above when relative
  std::string site_root;      // site cache_root
  std::string site_group;     // site cache_group
  std::string site_max_size;  // site cache_max_size ("200G")
  std::string site_path;      // for dir_source
};

// Bad values (a size that is not a size, a negative timing) are Problems naming the
// variable or key; the rest of the settings are still filled in.
CacheSettings resolve_cache_settings(const CacheSources& sources, const EnvMap& env, Problems* problems);

}  // namespace trn::config
