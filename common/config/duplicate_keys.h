// yaml-cpp keeps one value of a key written twice in a mapping and says nothing;
// OmegaConf (and so NxDT) refuses such a file. This check walks yaml-cpp's parse
// events once, before the document is built, so trn-train refuses it too and names
// both lines. Pure: text in, Problems out; malformed YAML is left to the loader.
#pragma once

#include <string>

#include "common/problem.h"

namespace trn::config {

// Appends one Problem per key that repeats within one mapping (at any depth).
void find_duplicate_keys(const std::string& text, const std::string& origin, Problems* problems);

}  // namespace trn::config
