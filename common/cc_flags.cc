#include "common/cc_flags.h"

#include <algorithm>

namespace trn {

std::vector<std::string> split_cc_flags(const std::string& text) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  char quote = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quote) {
      if (c == quote) {
        quote = 0;
      } else if (c == '\\' && quote == '"' && i + 1 < text.size() && (text[i + 1] == '"' || text[i + 1] == '\\')) {
        word += text[++i];
      } else {
        word += c;
      }
    } else if (c == '\'' || c == '"') {
      quote = c;
      in_word = true;
    } else if (c == '\\' && i + 1 < text.size()) {
      word += text[++i];
      in_word = true;
    } else if (c == ' ' || c == '\t' || c == '\n') {
      if (in_word) words.push_back(word);
      word.clear();
      in_word = false;
    } else {
      word += c;
      in_word = true;
    }
  }
  if (in_word) words.push_back(word);
  return words;
}

bool has_cc_flag(const std::string& flags, const std::string& name) {
  for (const std::string& w : split_cc_flags(flags))
    if (w == name || w.rfind(name + "=", 0) == 0) return true;
  return false;
}

std::string cc_flag_value(const std::string& flags, const std::string& name) {
  const std::vector<std::string> words = split_cc_flags(flags);
  for (size_t i = 0; i < words.size(); ++i) {
    if (words[i].rfind(name + "=", 0) == 0) return words[i].substr(name.size() + 1);
    if (words[i] == name && i + 1 < words.size()) return words[i + 1];
  }
  return "";
}

bool has_cc_words(const std::string& flags, const std::string& wanted) {
  const std::vector<std::string> have = split_cc_flags(flags);
  const std::vector<std::string> want = split_cc_flags(wanted);
  return std::all_of(want.begin(), want.end(),
                     [&](const std::string& w) { return std::find(have.begin(), have.end(), w) != have.end(); });
}

}  // namespace trn
