// `trn-train preflight --collective`, the pure half: what nccom-test printed, and which
// node (or link) is slow, from the pairs of common/node_pairs.h. Slow: below min_fraction
// of the fastest pair (no absolute figure: it differs per instance type, size and fabric).
#pragma once

#include <string>
#include <vector>

#include "common/node_pairs.h"

namespace trn {

// nccom-test's "Avg bus bandwidth:      40.6901GB/s" line; false when absent (it failed).
bool parse_nccom_busbw(const std::string& output, double* gbps);

struct PairResult {
  NodePair pair;
  bool ran = false;    // false: no result came (the node did not run it, or timed out)
  double busbw = 0;    // GB/s
  std::string error;   // the test failed: its last line
  bool one_machine = false;  // both nodes on one machine (MPI test): reported, not judged
};

struct CollectiveVerdict {
  std::vector<std::string> lines;       // one per pair, then the findings
  std::vector<std::string> slow_nodes;  // node names, for sbatch --exclude
  bool ok = true;
  bool none_ran = false;  // no pair has a bandwidth: the test or the step failed, no node is named
};

// `test` names what ran, in each line: "all-reduce (nccom-test)" or "MPI all-reduce (trn-train-native)".
CollectiveVerdict judge_pairs(const std::vector<PairResult>& results, const std::vector<std::string>& hosts,
                              const std::string& test, double min_fraction = 0.8);

}  // namespace trn
