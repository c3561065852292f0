#include "data/text_input.h"

#include <cstring>

#include <nlohmann/json.hpp>

namespace trn::data {
namespace {

bool blank(std::string_view line) { return line.find_first_not_of(" \t\r") == std::string_view::npos; }

// The line starting at `at` (without its '\n') and the offset after it.
std::string_view line_at(std::string_view text, size_t at, size_t* next) {
  const void* nl = std::memchr(text.data() + at, '\n', text.size() - at);
  const size_t end = nl ? static_cast<size_t>(static_cast<const char*>(nl) - text.data()) : text.size();
  *next = nl ? end + 1 : text.size();
  return text.substr(at, end - at);
}

}  // namespace

bool valid_utf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = p + s.size();
  while (p < end) {
    if (*p < 0x80) {
      ++p;
      continue;
    }
    int n = 0;
    uint32_t cp = 0;
    if ((*p & 0xE0) == 0xC0) n = 1, cp = *p & 0x1F;
    else if ((*p & 0xF0) == 0xE0) n = 2, cp = *p & 0x0F;
    else if ((*p & 0xF8) == 0xF0) n = 3, cp = *p & 0x07;
    else return false;
    if (end - p <= n) return false;
    for (int i = 1; i <= n; ++i) {
      if ((p[i] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (p[i] & 0x3F);
    }
    static constexpr uint32_t kMin[4] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    p += n + 1;
  }
  return true;
}

size_t last_cut(std::string_view text, InputFormat format, size_t from) {
  for (size_t end = text.size(); end > from;) {
    const void* nl = ::memrchr(text.data() + from, '\n', end - from);
    if (!nl) break;
    const size_t at = static_cast<size_t>(static_cast<const char*>(nl) - text.data());
    if (format == InputFormat::kJsonl) return at + 1;
    const void* prev = at > 0 ? ::memrchr(text.data(), '\n', at) : nullptr;
    const size_t begin = prev ? static_cast<size_t>(static_cast<const char*>(prev) - text.data()) + 1 : 0;
    if (blank(text.substr(begin, at - begin))) return at + 1;
    end = at;
  }
  return 0;
}

bool for_each_document(std::string_view chunk, InputFormat format, const std::string& json_key,
                       const std::function<void(std::string_view)>& doc, uint64_t* lines, ChunkError* error) {
  uint64_t line_no = 0;
  size_t at = 0, doc_begin = 0, doc_end = 0;
  bool in_doc = false;
  while (at < chunk.size()) {
    size_t next = 0;
    const size_t begin = at;
    const std::string_view line = line_at(chunk, at, &next);
    at = next;
    ++line_no;
    if (!valid_utf8(line)) {
      *error = {line_no, "not UTF-8"};
      return false;
    }
    if (format == InputFormat::kJsonl) {
      if (blank(line)) continue;
      const nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
      const auto it = j.is_object() ? j.find(json_key) : j.end();
      if (!j.is_object() || it == j.end() || !it->is_string()) {
        *error = {line_no, j.is_object() ? "no string \"" + json_key + "\" key" : "not a JSON object"};
        return false;
      }
      doc(it->get_ref<const std::string&>());
    } else if (blank(line)) {
      if (in_doc) doc(chunk.substr(doc_begin, doc_end - doc_begin));
      in_doc = false;
    } else {
      if (!in_doc) doc_begin = begin;
      in_doc = true;
      doc_end = begin + line.size();
    }
  }
  if (in_doc) doc(chunk.substr(doc_begin, doc_end - doc_begin));
  *lines = line_no;
  return true;
}

}  // namespace trn::data
