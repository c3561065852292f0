// Which node pairs a collective test runs in which round, and the one line a pair's
// result travels in. Shared by the launcher (nccom-test pairs; it reads the native
// engine's lines) and the native engine (its MPI all-reduce pairs), so both walk the
// same rounds.
//
// Why pairs: an all-reduce across all N nodes runs at the speed of its slowest link and
// cannot say whose it is. Two rounds of disjoint pairs, the second shifted by one
// (0+1, 2+3, ... then 1+2, 3+4, ..., N-1+0), put every node in two pairs with different
// partners: a node whose pairs are all slow is the slow node; one slow pair between two
// nodes that are fast elsewhere is their link.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace trn {

struct NodePair {
  int a = 0, b = 0;  // node ranks; `a` leads the pair (runs the test, reports the result)
};

// Round by round; one pair in all for 2 nodes, none for 1.
std::vector<std::vector<NodePair>> pair_rounds(int nodes);

// "pair ROUND A B busbw GBPS[ one-machine]": one measured pair, as the native engine
// prints it. one-machine: both ranks ran on one machine (the local cluster's nodes), so
// the figure is a memory copy, not a link, and is not judged.
struct PairLine {
  size_t round = 0;
  NodePair pair;
  double busbw = 0;  // GB/s
  bool one_machine = false;
};
std::string pair_result_line(const PairLine& line);
bool parse_pair_result_line(const std::string& line, PairLine* out);

}  // namespace trn
