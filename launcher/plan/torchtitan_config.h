// TorchTitan's TOML job config (`python3 -m torchtitan.train --job.config_file X.toml`,
// the recipe the Neuron docs recommend for TorchNeuron): the parallelism degrees and the
// batch, read so that `trn-train plan` refuses a config that TorchTitan would only refuse
// after every worker started (ParallelDims._validate, Trainer.__init__).
//
// Section, keys and defaults as torchtitan's torchtitan/config/job_config.py (classes
// Parallelism and Training) has them at 238fa99 (Feb 2026, the last commit with TOML
// job configs; later TorchTitan configures runs in Python):
//   [parallelism] data_parallel_replicate_degree 1, data_parallel_shard_degree -1
//                 (-1: the ranks left over after replicate*cp*tp*pp; only this one may be
//                 negative), tensor_parallel_degree 1, pipeline_parallel_degree 1,
//                 context_parallel_degree 1, expert_parallel_degree 1,
//                 expert_tensor_parallel_degree 1
//   [training]    local_batch_size 8, global_batch_size -1 (-1: local * data-parallel degree)
// Rules (torchtitan/distributed/parallel_dims.py, torchtitan/train.py at the same commit):
//   replicate*shard*cp*tp*pp = world; with ep > 1, etp is tp or 1 and etp*ep divides
//   shard*cp*tp; global_batch_size a multiple of local_batch_size*replicate*shard.
#pragma once

#include <string>

#include "common/problem.h"

namespace trn {

struct TorchTitanConfig {
  std::string path;  // absolute; named in every Problem
  long long dp_replicate = 1, dp_shard = -1, tp = 1, pp = 1, cp = 1, ep = 1, etp = 1;
  long long local_batch_size = 8, global_batch_size = -1;
};

// Pure: reads `text` (the file's contents; `path` only names it). A value of the wrong
// type is a Problem naming `<path>: section.key`.
bool parse_torchtitan_config(const std::string& text, const std::string& path, TorchTitanConfig* out,
                             Problems* problems);

// I/O: reads the file at `path` (absolute) and parses it.
bool read_torchtitan_config(const std::string& path, TorchTitanConfig* out, Problems* problems);

// Pure: the degrees and the batch against a world of nodes x procs_per_node workers.
void check_torchtitan_world(const TorchTitanConfig& c, long long nodes, long long procs_per_node, Problems* out);

}  // namespace trn
