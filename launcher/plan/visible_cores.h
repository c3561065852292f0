// NEURON_RT_VISIBLE_CORES as the SPANK plugin (spank/core_placement.h's format_range) or
// a user writes it: "0-63", "5", or a comma list of both ("0-3,8-11"). The one reader of
// that format in the launcher (planning counts it, `trn-train worker` picks from it). Pure.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace trn {

// The cores the list names, in order; nullopt when it is not such a list (empty, a
// descending range, a stray character, more than 65536 cores).
std::optional<std::vector<int>> parse_visible_cores(const std::string& list);

}  // namespace trn
