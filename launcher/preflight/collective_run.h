// `trn-train preflight --collective`, the I/O half, two tests over the pairs of
// common/node_pairs.h from inside the preflight step:
// - on a Neuron plan each node runs nccom-test (the Neuron tools' collective benchmark)
//   for the pairs it leads, round by round; the result files are the barrier between
//   rounds, so no node's test overlaps another round's on the same node;
// - on a native plan each node runs `trn-train-native --collective-test`: the step's MPI
//   world (one task per node, PMIx) all-reduces pair by pair, its rounds its own barriers.
// Either way the results meet as files in the step's preflight folder, as the rows do,
// each written by the pair's leading node; node 0 judges them (collective_checks.h).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "launcher/preflight/collective_checks.h"

namespace trn {

struct CollectiveSetup {
  std::string dir;                 // the step's shared preflight folder
  std::vector<std::string> hosts;  // node-rank order
  int rank = 0;
  int workers_per_node = 1;        // NeuronCores a job uses per node (nccom-test -r is for both nodes)
  int port = 0;                    // NEURON_RT_ROOT_COMM_ID's port (the next step's root-comm port, checked free)
  std::map<std::string, std::string> host_addresses;  // the site file's, for the root's IPv4
  int timeout_s = 120;             // per round: a pair without a result by then is reported so
};

// Runs this node's tests and waits out every round; returns every pair's result as the
// folder holds it at the end (node 0 judges them).
std::vector<PairResult> run_collective_rounds(const CollectiveSetup& s);

// The same for the MPI all-reduce of `native_program` (the plan's trn-train-native).
// `tasks` is the step's task count: MPI needs every task of the step, so with more than
// one per node the test is not started (each pair reports why).
std::vector<PairResult> run_mpi_pairs(const CollectiveSetup& s, const std::string& native_program, int tasks);

}  // namespace trn
