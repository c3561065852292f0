// `trn-train health`, the I/O half: the Neuron error counters and the runtime's version
// under the node's root ("/" on real nodes, a fake tree in tests: TRN_TRAIN_NODE_ROOT,
// as for preflight and plan), and the small state file that keeps the last run's
// counts. The devices, driver, instance, EFA, cache and open files are read by
// preflight's probe (launcher/preflight/preflight_probe.h).
#pragma once

#include <string>

#include "launcher/health/health_checks.h"

namespace trn {

// Where the counts are kept between runs when --state-dir does not say: root's, local to
// the node (the first run creates it, 0755).
inline constexpr const char* kHealthStateDir = "/var/lib/trn-train";

// The uncorrectable-error counters of every Neuron device and core under root, as the
// Neuron sysfs guide lists them (driver < 2.31 layout): per device
// stats/hardware/{mem_ecc_uncorrected,sram_ecc_uncorrected}, per core
// stats/status/hw_error (or status/hw_error); a counter is a folder whose `total` holds
// the count since the driver loaded, or a plain file with the count.
ErrorCounters read_error_counters(const std::string& root);

// aws-neuronx-runtime-lib's version: from the dpkg database under root, else (a real
// node) `rpm -q`; "" when neither knows it.
std::string read_runtime_version(const std::string& root);

// <state_dir>/health.<node>.json. A missing file is no baseline; one that is a link, not
// ours, writable by others or malformed is *error (its counts are not trusted).
std::string health_state_path(const std::string& state_dir, const std::string& node);
bool load_health_state(const std::string& path, ErrorCounters* counters, std::string* error);
bool save_health_state(const std::string& path, const std::string& node, const ErrorCounters& counters,
                       std::string* error);

}  // namespace trn
