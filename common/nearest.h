// "Did you mean": the candidates nearest to a word that was not found (a config key,
// a config name, a subcommand), by edit distance with transpositions counted as one
// edit, so `tranier` finds `trainer` and `max_step` finds `max_steps`. Pure.
#pragma once

#include <string>
#include <vector>

namespace trn {

// Up to `max` candidates within a small distance of `word` (2 edits, or a third of
// its length for long words), nearest first; ties keep the candidates' order.
std::vector<std::string> nearest(const std::string& word, const std::vector<std::string>& candidates, size_t max = 3);

// " (did you mean a, b or c?)", or "" when nothing is near.
std::string did_you_mean(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace trn
