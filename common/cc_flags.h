// The one NEURON_CC_FLAGS tokenizer. The variable is split into words as torch-neuronx's
// compile wrapper splits it (Python's shlex.split: blanks separate, quotes group and are
// removed, a backslash escapes outside single quotes); every question asked of it — is
// a flag there, what is its value — is answered on those words, never on substrings
// (`--lnc` must not match inside `--lnc-extra`, a quoted path may hold blanks). Pure.
#pragma once

#include <string>
#include <vector>

namespace trn {

std::vector<std::string> split_cc_flags(const std::string& text);

// True when a word is `name` or `name=...`.
bool has_cc_flag(const std::string& flags, const std::string& name);

// The value of `name=V` or `name V`; "" when absent.
std::string cc_flag_value(const std::string& flags, const std::string& name);

// True when every word of `wanted` is already a word of `flags` (e.g. a config's
// compiler_flags, appended once).
bool has_cc_words(const std::string& flags, const std::string& wanted);

}  // namespace trn
