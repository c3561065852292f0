// UltraServer-aware allocation: the sbatch flags that keep a job's nodes in whole
// UltraServers (conf/instances.yaml ultraserver_nodes), where Slurm can express it. Pure.
//
// Slurm's topology/block plugin models such domains as blocks (topology.conf BlockName=
// ... BlockSizes=...); `--segment=N` (salloc/sbatch/srun) asks that the job's nodes be
// allocated in groups of N nodes, each group inside one block, N at most the planning
// block size. --segment came with Slurm 24.05 ("Add --segment to job allocation to be
// used in topology/block", SchedMD/slurm CHANGELOG/slurm-24.05.md); AWS documents it for
// UltraServers with BlockSizes = the UltraServer's node count (SageMaker HyperPod,
// "Using the topology/block plugin"). ASSUMPTION: the cluster runs topology/block with
// one block per UltraServer; Slurm rejects a segment size its blocks cannot hold.
#pragma once

#include <string>
#include <vector>

#include "launcher/plan/instance_catalog.h"

namespace trn {

struct SlurmVersion {
  int major = 0, minor = 0;  // 22.05 -> {22, 5}
};
// "22.05.8", "slurm 24.05.1", "slurm-wlm 23.11.4" -> the version; false when none is found.
bool parse_slurm_version(const std::string& text, SlurmVersion* out);

// The first Slurm with --segment.
inline constexpr SlurmVersion kSegmentSince{24, 5};

struct UltraServerAllocation {
  std::vector<std::string> sbatch_flags;  // e.g. {"--segment=4"}; empty when none applies
  std::vector<std::string> notes;         // one line each, for the user (what was not asked, and why)
};

// For a job of `nodes` nodes of `inst` under Slurm `slurm`:
//  - not an UltraServer type, or one node: nothing;
//  - nodes a multiple of the UltraServer size U: --segment=U (whole UltraServers);
//  - fewer nodes than U: --segment=<nodes> (all in one UltraServer);
//  - otherwise: no flag, and a note naming the nearest multiples of U;
//  - a Slurm older than 24.05 (Debian 12's 22.05): no flag, and a note saying what the
//    flag would be.
UltraServerAllocation ultraserver_allocation(const InstanceType& inst, int nodes, const SlurmVersion& slurm);

}  // namespace trn
