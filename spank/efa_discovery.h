// EFA devices of this node: RDMA devices under ROOT/sys/class/infiniband whose
// driver is `efa`, and (on real nodes only, root "/") libfabric's `efa` provider
// through fi_getinfo. libfabric is dlopen()ed on first use so srun/sbatch on a
// login node, and steps on nodes with EFA in sysfs, never load it.
#pragma once

#include <string>

namespace neuron {

// Number of RDMA devices bound to the efa driver under root (0 when none).
int count_efa_sysfs(const std::string& root);

// Number of distinct EFA domains libfabric reports; 0 when libfabric or the efa
// provider is unavailable. *note says why (for verbose logs).
int count_efa_libfabric(std::string* note);

}  // namespace neuron
