// `trn-train preflight`, the report (pure): a node's row as one JSON line (what each
// node leaves in the shared folder for node 0), the table of all rows, and the verdict
// naming the bad nodes as a compressed Slurm hostlist (common/hostlist.h) ready for
// `sbatch --exclude=`.
#pragma once

#include <string>
#include <vector>

#include "launcher/preflight/preflight_checks.h"

namespace trn {

std::string row_to_json(const NodeRow& row);
// False with *error on malformed text (a row from another version, a torn file).
bool row_from_json(const std::string& text, NodeRow* row, std::string* error);

// One line per node (a column per check: "ok 16", "FAIL 15", "warn 20000"), then one
// line per check that is not ok or n/a, with its detail.
std::string format_table(const std::vector<NodeRow>& rows);

// The last line: "preflight: ok: 4 nodes" or "preflight: FAIL on 1 of 4 nodes: ... --exclude=...".
std::string format_verdict(const std::vector<NodeRow>& rows);

}  // namespace trn
