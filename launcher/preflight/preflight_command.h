// `trn-train preflight`: checks every node of the allocation against the plan before a
// long job (`srun --ntasks-per-node=1 trn-train preflight` inside the job; outside a
// Slurm step it checks this node alone). Node 0 prints one table row per node and the
// verdict. Exit 0 when every node passed (warnings allowed), 1 naming the bad nodes
// as an `sbatch --exclude=` hostlist, 2 for bad input (as every command).
#pragma once

#include "launcher/commands/commands.h"

namespace trn {

inline constexpr int kPreflightDefaultTimeout = 120;  // seconds node 0 waits for the others' rows

// collective: after the rows, the nccom-test all-reduce between node pairs on a Neuron
// plan (collective_run.h); a slow node or link fails the step, named.
int preflight_command(const CommonOptions& opts, int timeout_s, bool collective = false);

}  // namespace trn
