// Compile-then-train for the native engine. Its "graphs" are C++ sources, one per
// layer kind x pass (graph_list), that instantiate that kernel of trainer/kernels/
// with this model's sizes as compile-time constants; the host compiler turns each
// into a shared object, stored in the shared compile cache under the same keys,
// locks and layout the Neuron backends use. The compile run (--compile) compiles a
// job's graphs once across all ranks of all nodes; the training run (--train) loads
// them (compiling a missing one on demand under the cluster-wide lock), and the
// generic kernels remain the path when no graph can be had.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/cache_settings.h"
#include "common/env_map.h"
#include "common/problem.h"
#include "trainer/model/llama.h"

namespace trn::native {

// Where the graphs are cached: the one resolver (common/config/cache_location.h)
// over `env`, the config's compiler_cache_url ("" = none) and the site file's
// cache keys, so the launcher, `trn-train cache` and the trainer agree on the folder.
CacheSettings graph_cache_settings(const std::string& config_url, const EnvMap& env, Problems* problems);

// One graph: a kernel (a KernelTable entry) specialised for the sizes it reads.
struct Graph {
  std::string kernel;  // e.g. "attention_forward"
  std::string sizes;   // e.g. "T=512 NH=8 NKV=4 HS=64"
  std::string source;  // the C++ the host compiler builds
};
// Every graph a model of this shape needs, in a fixed order (all layers share them).
std::vector<Graph> graph_list(const ModelShape& shape);

// The graphs are built for `isa` (an x86-64 level, trainer/model/graph_isa.h; "" none),
// by default this CPU's own or the lower one TRN_NATIVE_ISA names; it is in every
// graph's cache key. An unknown or too high TRN_NATIVE_ISA is an *error.
//
// The compile job: every rank calls it with the same shape. Prints the level and the
// "Total graphs / successful / failed" summary (once, on rank 0). Returns the
// number of failed graphs, or -1 with *error when the cache cannot be used.
int compile_graphs(const ModelShape& shape, const CacheSettings& cache, int mpi_rank, std::string* error,
                   const std::optional<std::string>& isa = std::nullopt);

// Where load_graphs had the graphs from: cache hits, or compiled by this process
// (and stored in the cache).
struct GraphOrigins {
  int from_cache = 0;
  int compiled = 0;
};

// The training job: fills *kernels with every graph from the cache (compiling a
// missing one) and says where they came from. Nothing, with *error and *kernels
// untouched, when one cannot be had.
std::optional<GraphOrigins> load_graphs(const ModelShape& shape, const CacheSettings& cache, KernelTable* kernels,
                                        std::string* error, const std::optional<std::string>& isa = std::nullopt);

}  // namespace trn::native
