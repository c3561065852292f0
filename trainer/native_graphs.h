// Compile-then-train for the native engine. Its "graphs" are C++ sources that
// instantiate trainer/attention_kernel.h with this model's shape as compile-time
// constants; the host compiler turns each into a shared object, stored in the
// shared compile cache under the same keys, locks and layout the Neuron backends
// use. The compile run (--compile) compiles a job's graphs once across all ranks of
// all nodes; the training run (--train) loads them (compiling a missing one on demand under the cluster-wide
// lock), and the generic kernels remain the path when no graph can be had.
#pragma once

#include <string>

#include "common/cache_settings.h"
#include "common/env_map.h"
#include "common/problem.h"
#include "trainer/llama.h"

namespace trn::native {

// Where the graphs are cached: the one resolver (common/config/cache_location.h)
// over `env`, the config's compiler_cache_url ("" = none) and the site file's
// cache_root. `trn-train run` exports TRN_TRAIN_CACHE_DIR, which comes first, so
// the launcher and every rank agree on the folder.
CacheSettings graph_cache_settings(const std::string& config_url, const EnvMap& env, Problems* problems);

// The compile job: every rank calls it with the same shape. Prints the
// "Total graphs / successful / failed" summary (once, on rank 0). Returns the
// number of failed graphs, or -1 with *error when the cache cannot be used.
int compile_graphs(const ModelShape& shape, const CacheSettings& cache, int mpi_rank, std::string* error);

// The training job: fills *kernels from the cache. False with *error when a
// graph cannot be loaded (the caller then keeps the generic kernels).
bool load_graphs(const ModelShape& shape, const CacheSettings& cache, AttentionKernels* kernels, std::string* error);

// The C++ source of the attention graph for `shape` (exposed for tests).
std::string attention_graph_source(const ModelShape& shape);

}  // namespace trn::native
