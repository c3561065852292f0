// NEURON_RT_VISIBLE_CORES as the SPANK plugin (spank/core_placement.h's format_range) or
// a user writes it: "0-63", "5", or a comma list of both ("0-3,8-11"). Pure.
#pragma once

#include <string>

namespace trn {

// The number of cores the list names; false (and *count untouched) when it is not such
// a list (empty, a descending range, a stray character, more than 65536 cores).
bool count_visible_cores(const std::string& list, int* count);

}  // namespace trn
