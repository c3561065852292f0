// EFA devices of this node as libfabric's `efa` provider reports them (the sysfs
// count is common/node_sysfs.h's count_efa_devices; libfabric is asked on real nodes
// only). libfabric is dlopen()ed on first use so srun/sbatch on a login node, and
// steps on nodes with EFA in sysfs, never load it.
#pragma once

#include <string>

namespace neuron {

// Number of distinct EFA domains libfabric reports; 0 when libfabric or the efa
// provider is unavailable. *note says why (for verbose logs).
int count_efa_libfabric(std::string* note);

}  // namespace neuron
