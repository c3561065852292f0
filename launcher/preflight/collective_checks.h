// `trn-train preflight --collective`, the pure half: which node pairs run the collective
// test in which round, what nccom-test printed, and which node (or link) is slow.
//
// Why pairs: an all-reduce across all N nodes runs at the speed of its slowest link and
// cannot say whose it is. Two rounds of disjoint pairs, the second shifted by one
// (0+1, 2+3, ... then 1+2, 3+4, ..., N-1+0), put every node in two pairs with different
// partners: a node whose pairs are all slow is the slow node; one slow pair between two
// nodes that are fast elsewhere is their link. Slow: below min_fraction of the fastest
// pair (no absolute figure: it differs per instance type and size).
#pragma once

#include <string>
#include <vector>

namespace trn {

struct NodePair {
  int a = 0, b = 0;  // node ranks; `a` runs the test (nccom-test's root is where it runs)
};

// Round by round; one pair in all for 2 nodes, none for 1.
std::vector<std::vector<NodePair>> pair_rounds(int nodes);

// nccom-test's "Avg bus bandwidth:      40.6901GB/s" line; false when absent (it failed).
bool parse_nccom_busbw(const std::string& output, double* gbps);

struct PairResult {
  NodePair pair;
  bool ran = false;    // false: no result came (the node did not run it, or timed out)
  double busbw = 0;    // GB/s
  std::string error;   // the test failed: its last line
};

struct CollectiveVerdict {
  std::vector<std::string> lines;       // one per pair, then the findings
  std::vector<std::string> slow_nodes;  // node names, for sbatch --exclude
  bool ok = true;
};

CollectiveVerdict judge_pairs(const std::vector<PairResult>& results, const std::vector<std::string>& hosts,
                              double min_fraction = 0.8);

}  // namespace trn
