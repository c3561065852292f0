#include "launcher/neuron/compile_summary.h"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace trn {
namespace {

// The number after `label` in `text`, if the label is there and a number follows.
std::optional<long long> number_after(std::string_view text, std::string_view label) {
  const auto at = text.find(label);
  if (at == std::string_view::npos) return std::nullopt;
  std::string_view rest = text.substr(at + label.size());
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  long long v = 0;
  auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), v);
  if (ec != std::errc() || end == rest.data()) return std::nullopt;
  return v;
}

bool says_failure(std::string_view text) {
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  return lower.find("fail") != std::string::npos || lower.find("error") != std::string::npos;
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

}  // namespace

void CompileSummaryParser::feed(std::string_view chunk) {
  for (;;) {
    const auto nl = chunk.find('\n');
    if (nl == std::string_view::npos) {
      partial_.append(chunk);
      return;
    }
    partial_.append(chunk.substr(0, nl));
    line(partial_);
    partial_.clear();
    chunk.remove_prefix(nl + 1);
  }
}

void CompileSummaryParser::finish() {
  if (!partial_.empty()) line(partial_);
  partial_.clear();
}

void CompileSummaryParser::line(std::string_view text) {
  if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
  if (auto v = number_after(text, "Total graphs:")) summary_.total = v;
  if (auto v = number_after(text, "Total successful compilations:")) summary_.succeeded = v;
  if (auto v = number_after(text, "Total failed compilations:")) summary_.failed = v;
  if (!says_failure(text)) return;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    size_t j = i;
    while (j < text.size() && !std::isspace(static_cast<unsigned char>(text[j]))) ++j;
    std::string_view word = text.substr(i, j - i);
    i = j;
    // Quotes, brackets and sentence punctuation around a path are not part of it.
    while (!word.empty() && std::string_view("\"'([<").find(word.front()) != std::string_view::npos) word.remove_prefix(1);
    while (!word.empty() && std::string_view("\"')]>.,;:").find(word.back()) != std::string_view::npos) word.remove_suffix(1);
    if (word.find('/') == std::string_view::npos || !(ends_with(word, ".log") || ends_with(word, ".txt"))) continue;
    auto& logs = summary_.failed_logs;
    if (std::find(logs.begin(), logs.end(), word) == logs.end()) logs.emplace_back(word);
  }
}

CompileSummary parse_compile_summary(std::string_view text) {
  CompileSummaryParser p;
  p.feed(text);
  p.finish();
  return p.summary();
}

std::string describe_failed_compile(const CompileSummary& s) {
  std::string out = std::to_string(s.failed.value_or(0));
  if (s.total) out += " of " + std::to_string(*s.total);
  out += " graphs failed to compile (Total failed compilations: " + std::to_string(s.failed.value_or(0)) + ")";
  if (s.failed_logs.empty()) return out + "; the output above names no log file, see the compile messages above";
  out += "; logs:";
  for (size_t k = 0; k < s.failed_logs.size(); ++k) out += (k ? ", " : " ") + s.failed_logs[k];
  return out;
}

}  // namespace trn
