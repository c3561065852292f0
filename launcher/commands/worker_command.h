// `trn-train worker COMMAND...`: the exec step between torchrun and one TorchNeuron
// worker (backend_command.h: torchrun --no-python <bindir>/trn-train worker python3 ...).
//
// Why: with one Slurm task per node the SPANK plugin gives the task the node's whole core
// range (NEURON_RT_VISIBLE_CORES=0-63 on trn2 at LNC 2), and torchrun passes its own
// environment to every worker. TorchNeuron's process group keeps a preset
// NEURON_RT_VISIBLE_CORES and wants exactly one core per process (neuron-2026 notes:
// public copies of its code; torch-xla remapped the range per local rank itself, see
// pytorch/xla torch_xla/_internal/neuron.py, TorchNeuron does not). So each worker gets
// the LOCAL_RANK-th core of the task's range, then becomes the real worker (execvp).
// LNC is not decided here: the cores are logical cores, numbered by the LNC the plan
// exported (NEURON_LOGICAL_NC_CONFIG, neuron_env.cc).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/env_map.h"
#include "common/problem.h"

namespace trn {

// Pure: the one core worker LOCAL_RANK of LOCAL_WORLD_SIZE gets. The range is the task's
// NEURON_RT_VISIBLE_CORES ("A", "A-B", or a comma list of them, as the runtime reads it);
// unset, the node's cores 0..LOCAL_WORLD_SIZE-1. Its core count must be LOCAL_WORLD_SIZE
// (torchrun's --nproc_per_node): otherwise, a Problem with the fix (and nullopt).
std::optional<int> worker_core(const EnvMap& env, Problems* problems);

// argv: what follows `worker` (an optional leading "--", then the command). Sets
// NEURON_RT_VISIBLE_CORES to the chosen core and execs the command; returns 2 for bad
// input (before anything runs), 127 when the command cannot be executed.
int worker_command(const std::vector<std::string>& argv);

// The text of `trn-train worker --help`.
const char* worker_help();

}  // namespace trn
