// NeuronCore placement of one task among the step's tasks on a node.
// The runtime wants NEURON_RT_VISIBLE_CORES contiguous, and a job of N cores
// starting at a multiple of N; every rule below keeps both true.
#pragma once

#include <string>

#include "common/problem.h"
#include "spank/options.h"

namespace neuron {

struct CoreRange {
  int first = 0;
  int count = 0;
};

// Checks the request for `local_tasks` tasks on a node with `logical_cores` and
// gives task `task_id` its range:
//  - kEvenSplit: task i of k gets [i*c/k, (i+1)*c/k - 1]; when k does not divide
//    c, each task gets the largest power of two <= c/k (aligned; the rest idle);
//    k > c (e.g. 128 CPU tasks on a trn1 node) gives count 0: no placement;
//  - kPerTask N: task i gets [i*N, i*N+N-1]; N must divide c and N*k <= c;
//  - kAll: every task gets [0, c-1].
// On error returns false with *problem naming the option, the node and the fix.
bool place_task(const UserOptions& opts, int logical_cores, int local_tasks, int task_id,
                const std::string& node, CoreRange* range, trn::Problem* problem);

// "0-7", or "5" for a single core ("" for count 0).
std::string format_range(const CoreRange& range);

}  // namespace neuron
