// A node's devices as the kernel lists them, read under a root directory ("/" on
// real nodes, a fake tree in tests: localslurm's $LOCALSLURM_DIR/nodes/<node>/).
// The one reader of these paths for the SPANK plugin's discovery
// (spank/device_discovery.cc, spank/efa_discovery.cc), the node's instance facts
// (common/node_instance.cc) and `trn-train preflight` (launcher/preflight/preflight_probe.cc);
// layouts as shared/notes/neuron-devices.md records them. Exception-free (the plugin
// links common/).
#pragma once

#include <string>

namespace trn {

// root + an absolute path inside it ("/" + "/sys" -> "/sys", "/t/" + "/sys" -> "/t/sys").
std::string under_root(const std::string& root, const std::string& path);

// The first line of a small sysfs file, trailing whitespace removed; "" when unreadable.
std::string sysfs_line(const std::string& path);

struct NeuronDevices {
  std::string dir;    // the folder listing them: the class folder, else the driver's
                      // virtual folder; "" when neither lists a neuronN entry
  std::string first;  // the lowest-numbered entry ("neuron0"), "" when none
  int devices = 0;    // neuronN entries in dir
  int cores = -1;     // the sum of their core_count; -1 when one is missing or not 1..64
                      // (a newer driver layout: callers fall back to the catalog)
  int dev_nodes = 0;  // /dev/neuronN entries (what a process actually opens)
};
NeuronDevices read_neuron_devices(const std::string& root);

// RDMA devices under root/sys/class/infiniband whose driver is `efa`.
int count_efa_devices(const std::string& root);

}  // namespace trn
