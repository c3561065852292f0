// How `trn-train data` reads its --input into documents:
//  * plain text: one document per paragraph; paragraphs are separated by blank lines
//    (empty, or only spaces, tabs and \r). A document is its lines' bytes from the first
//    line's start to the last line's end, newlines between them kept, the final one not.
//  * JSONL (--json-keys given, or the file name ends in .json/.jsonl): one JSON object
//    per non-empty line, the document is the string at the key (Megatron's format).
// Every line must be UTF-8. The file is read in chunks cut at paragraph (text) or line
// (JSONL) boundaries so that workers split and tokenize chunks independently.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace trn::data {

enum class InputFormat { kText, kJsonl };

// Where a chunk of `text` (the start of the rest of a file, read so far) may end: the
// offset just after the last line end at which no document continues (JSONL: any line
// end; text: the end of a blank line), searching only line ends at or after `from`
// (those before were searched when less was read). 0 when there is none yet.
size_t last_cut(std::string_view text, InputFormat format, size_t from = 0);

struct ChunkError {
  uint64_t line = 0;  // 1-based, within the chunk; 0 when there is none
  std::string what;   // "not UTF-8", "no string \"text\" key", ...
};

// Calls doc(text) for each document of `chunk` in order. JSONL documents are decoded
// into a temporary string, text ones are views into `chunk`. *lines receives the number
// of lines in the chunk (for file:line numbers). False with *error at the first bad line.
bool for_each_document(std::string_view chunk, InputFormat format, const std::string& json_key,
                       const std::function<void(std::string_view)>& doc, uint64_t* lines, ChunkError* error);

// True when s is well-formed UTF-8 (no overlongs, surrogates or code points past U+10FFFF).
bool valid_utf8(std::string_view s);

}  // namespace trn::data
