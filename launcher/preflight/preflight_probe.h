// `trn-train preflight`, the I/O half: what this node says, read under its root ("/"
// on real nodes; TRN_TRAIN_NODE_ROOT names a fake device tree in tests, as for `plan`),
// plus what only the live node can answer (can it bind the job's ports, write the
// cache, run neuronx-cc, find libfabric's efa provider). Judged by preflight_checks.
#pragma once

#include <string>

#include "common/env_map.h"
#include "launcher/plan/plan.h"
#include "launcher/preflight/preflight_checks.h"

namespace trn {

// What the catalog says a node of `instance` has (devices, cores, EFA, platform, the
// names that mean it); the LNC and the backend's needs are the plan's, set by the caller.
Expectation instance_expectation(const InstanceCatalog& catalog, const std::string& instance);

// Never throws: what cannot be read is reported in the facts (as 0, "" or an error text).
NodeFacts probe_node(const Plan& plan, const Expectation& want, const std::string& root, const EnvMap& env);

}  // namespace trn
