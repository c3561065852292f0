// Slurm hostlist and tasks-per-node expressions, parsed in C++ (never `scontrol`).
//
// Grammar as in Slurm's src/common/hostlist.c: comma-separated items, each a prefix
// followed by zero or more bracket groups "[a-b,c,...]" (ranges keep zero padding,
// several groups form a cartesian product in order), optional suffix; duplicates are
// kept; results match `scontrol show hostnames` item for item.
// Both functions are exception-free because the SPANK plugin uses them.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace trn {

// "trn1-st-trn1-[1-4,7],head" -> {"trn1-st-trn1-1", ..., "trn1-st-trn1-7", "head"}.
// Returns false and fills *error (quoting the expression and the bad part) when
// the expression is malformed; *hosts is then unspecified.
bool expand_hostlist(std::string_view expr, std::vector<std::string>* hosts, std::string* error);

// SLURM_STEP_TASKS_PER_NODE / SLURM_TASKS_PER_NODE: "32(x16),16" -> 16 x 32, then 16.
bool expand_tasks_per_node(std::string_view expr, std::vector<int>* counts, std::string* error);

}  // namespace trn
