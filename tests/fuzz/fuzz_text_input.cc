// libFuzzer: how `trn-train data` reads its --input (data/text_input): UTF-8 checking,
// text paragraphs and JSONL lines into documents, and the chunk cuts the reader makes
// while it reads the file in pieces. The first byte picks the format, the key and the
// piece size; the rest is the file. Any input is split or refused with a line number;
// never a crash, and reading in pieces must give the documents of the whole file.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "data/text_input.h"

namespace {

using trn::data::InputFormat;

struct Split {
  bool ok = true;
  uint64_t lines = 0;
  std::vector<std::string> docs;
};

Split split(std::string_view text, InputFormat format, const std::string& key) {
  Split s;
  trn::data::ChunkError error;
  s.ok = trn::data::for_each_document(text, format, key, [&](std::string_view d) { s.docs.emplace_back(d); },
                                      &s.lines, &error);
  if (!s.ok && (error.line == 0 || error.what.empty())) __builtin_trap();  // a refusal names its line
  return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const InputFormat format = data[0] & 1 ? InputFormat::kJsonl : InputFormat::kText;
  const std::string key = data[0] & 2 ? "text" : "";
  const size_t piece = 1 + (data[0] >> 2);
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  (void)trn::data::valid_utf8(text);
  const Split whole = split(text, format, key);

  // As ChunkReader reads: pieces appended, cut at last_cut, the rest carried over.
  Split pieces;
  std::string buffer;
  for (size_t at = 0; at < text.size() && pieces.ok; at += piece) {
    const size_t from = buffer.size();
    buffer.append(text.substr(at, piece));
    const bool last = at + piece >= text.size();
    const size_t cut = last ? buffer.size() : trn::data::last_cut(buffer, format, from);
    if (cut > buffer.size()) __builtin_trap();
    if (cut == 0) continue;
    Split chunk = split(std::string_view(buffer).substr(0, cut), format, key);
    pieces.ok = chunk.ok;
    for (auto& d : chunk.docs) pieces.docs.push_back(std::move(d));
    buffer.erase(0, cut);
  }
  if (whole.ok && (!pieces.ok || pieces.docs != whole.docs)) __builtin_trap();  // chunks never split a document
  return 0;
}
