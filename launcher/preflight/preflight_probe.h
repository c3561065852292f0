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

// What the node's hardware says, with no plan (`trn-train health` too): Neuron devices,
// driver, the node's own instance, EFA devices (and libfabric's provider on a real
// node), the open-file limits. Never throws.
void probe_hardware(const std::string& root, const Expectation& want, NodeFacts* f);

// The compile cache's folder (or its nearest existing parent): reachable, trusted,
// writable by a real write, and its free space. Never throws.
void probe_cache(const CacheSettings& cache, NodeFacts* f);

// Never throws: what cannot be read is reported in the facts (as 0, "" or an error text).
NodeFacts probe_node(const Plan& plan, const Expectation& want, const std::string& root, const EnvMap& env);

}  // namespace trn
