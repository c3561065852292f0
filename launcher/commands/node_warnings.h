// Warnings about one node's own settings (the open-file limit), said once per job.
// Every node of a run leaves its node-local warning lines (possibly none) in the
// restart's folder; node 0 waits briefly for every node's file, then prints each
// distinct line once, with the nodes that have it as a host list ("trn1-st-trn1-[1-4]").
// Four nodes printed the same line four times before. Each node's own log keeps its lines.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace trn {

// Pure: each distinct line once, nodes in the order given: "nodes H: line".
std::vector<std::string> group_node_warnings(const std::vector<std::pair<std::string, std::vector<std::string>>>& by_node);

// Writes this node's lines to `dir`/<node_rank>. Node 0 then waits up to `timeout_ms`
// for all `nodes` files (a node that has not written by then, or a log folder that is
// not shared, is left out: its own log has its lines) and returns the grouped lines;
// every other node returns nothing.
std::vector<std::string> gather_node_warnings(const std::string& dir, int node_rank, int nodes, const std::string& host,
                                              const std::vector<std::string>& mine, int timeout_ms);

}  // namespace trn
