// `trn-train preflight`, the pure half: what one node found (NodeFacts, gathered by
// launcher/preflight/preflight_probe.cc) judged against what the plan expects of every node
// (Expectation), giving that node's row of the report; then the cross-node checks
// that compare the rows (one SDK, one driver, one master address). No I/O here, so
// every verdict is unit-tested with hand-written facts.
#pragma once

#include <sys/resource.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "common/platform.h"
#include "common/ports.h"

namespace trn {

// ok and warn pass; fail names the node as bad; n/a: the check does not apply (a CPU
// plan has no Neuron devices to count) or could not be made (no plan on that node).
enum class CheckStatus { kOk, kWarn, kFail, kNa };
const char* to_string(CheckStatus s);  // "ok" | "warn" | "FAIL" | "n/a"
bool parse_check_status(const std::string& text, CheckStatus* out);

// The report's columns, in order.
enum class Check { kPlan, kDevices, kDriver, kInstance, kEfa, kSdk, kCache, kPorts, kFiles, kMaster, kCount };
const char* to_string(Check c);  // column name: "plan", "devices", ...
inline constexpr size_t kCheckCount = static_cast<size_t>(Check::kCount);

struct CheckCell {
  CheckStatus status = CheckStatus::kNa;
  std::string value;   // short, for the table ("16", "2.19.64.0", "172.31.0.5"); compared across nodes
  std::string detail;  // why it is not ok, with the fix
};

struct NodeRow {
  std::string node;
  int rank = 0;
  std::array<CheckCell, kCheckCount> cells;
  CheckCell& at(Check c) { return cells[static_cast<size_t>(c)]; }
  const CheckCell& at(Check c) const { return cells[static_cast<size_t>(c)]; }
  bool bad() const;  // some check failed
};

// What the plan asks of every node.
struct Expectation {
  std::string instance;      // catalog name ("trn1.32xlarge", "cpu")
  bool neuron = false;       // a Trainium instance (expects devices, driver, instance type)
  int neuron_cores = 0;      // physical NeuronCores (catalog)
  int efa = 0;               // EFA devices (catalog)
  int lnc = 1;
  Platform platform = Platform::kUnknown;
  std::vector<std::string> names;          // the catalog names of this type (it and its aliases)
  std::vector<std::string> catalog_names;  // every catalog name: a node naming another one is wrong
  bool needs_neuron_sdk = false;  // nxdt / torchneuron backends run neuronx-cc
  bool multi_node = false;
  uint64_t min_cache_free = 1ull << 30;   // below: fail (a compile would fail with ENOSPC)
  uint64_t warn_cache_free = 10ull << 30; // below: warn
};

struct PortProbe {
  std::string what;   // "master", "root-comm"
  int port = 0;
  int bind_errno = 0; // 0: a listener could bind it (free)
};

struct NodeFacts {
  std::string node;
  int rank = 0;
  std::string plan_error;     // the plan could not be made on this node ("" = it was)
  // Neuron devices under the node's root (shared/notes/neuron-devices.md)
  int sysfs_devices = 0;      // neuronN entries under sys/class/neuron_device (or the driver's folder)
  int dev_nodes = 0;          // /dev/neuronN
  int sysfs_cores = -1;       // sum of core_count; -1 when not every device has one (driver >= 2.31)
  std::string driver_version; // /sys/module/neuron/version ("" = none)
  std::string node_instance;  // the node's own instance type (DMI / device info; "" = says nothing)
  Platform node_platform = Platform::kUnknown;  // the chip the devices name
  std::string lnc_env;        // NEURON_LOGICAL_NC_CONFIG as this task sees it (the plugin sets it)
  // EFA
  int efa_sysfs = 0;          // RDMA devices bound to the efa driver
  bool efa_provider_checked = false;  // libfabric asked (only on real nodes: root "/")
  bool efa_provider = false;  // `fi_info -p efa` listed the provider
  std::string efa_note;       // why not
  // Neuron SDK
  std::string sdk_version;    // first line of `neuronx-cc --version` ("" = not found)
  // compile cache
  std::string cache_dir;
  bool cache_node_local_default = false;
  std::string cache_error;    // unreachable / untrusted / not writable ("" = fine)
  uint64_t cache_free = 0;
  // ports and limits
  std::vector<PortProbe> ports;
  EphemeralPorts ephemeral;
  rlim_t nofile_soft = 0, nofile_hard = 0;
  std::string master_host, master_ipv4;
};

// One node's row. Cross-node columns (driver, sdk, master) hold the value to compare.
NodeRow check_node(const NodeFacts& facts, const Expectation& want);

// A row for a node that sent none within the timeout: every check n/a, plan FAIL.
NodeRow missing_row(const std::string& node, int rank, const std::string& why);

// Cross-node: in the driver, sdk and master columns every node must show the value
// most nodes show (ties: node rank 0's); the others fail, naming that value.
void compare_rows(std::vector<NodeRow>* rows);

}  // namespace trn
