// `trn-train preflight --collective`, the I/O half: each node runs nccom-test (the Neuron
// tools' collective benchmark) for the pairs it leads, round by round
// (collective_checks.h), from inside the preflight step. The results meet as files in the
// step's preflight folder, as the rows do, and the same files are the barrier between
// rounds, so no node's test overlaps another round's on the same node.
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

}  // namespace trn
