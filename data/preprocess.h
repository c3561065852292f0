// The work of `trn-train data`: --input -> documents (text_input.h) -> token ids
// (tokenizer.h), EOS after each document -> OUTPUT_PREFIX_<key>_document.bin/.idx
// (indexed_dataset.h, Megatron's naming) + its .vocab.json sidecar. Workers tokenize
// chunks in parallel; the writer takes them in file order, so the output does not
// depend on --workers.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "common/problem.h"
#include "data/text_input.h"
#include "data/tokenizer.h"

namespace trn::data {

// More tokenizing threads than this gain nothing (the writer takes chunks one at a time)
// and only risk the process's thread limit.
inline constexpr int kMaxWorkers = 1024;

struct PreprocessOptions {
  std::string input;
  std::string output_prefix;   // files: output_prefix + "_" + json_key + "_document.*"
  std::string json_key = "text";
  InputFormat format = InputFormat::kText;
  int workers = 1;  // 1 .. kMaxWorkers
  bool append_eod = true;
  size_t chunk_bytes = 1 << 20;
};

struct PreprocessSummary {
  std::string dataset_prefix;  // what data.data_prefix names
  uint64_t documents = 0, tokens = 0, input_bytes = 0;
  double seconds = 0;
  std::vector<std::pair<std::string, uint64_t>> removed_leftovers;  // of killed runs: path, bytes
};

// Progress after each chunk: bytes of input done, documents and tokens so far.
using ProgressFn = std::function<void(uint64_t bytes, uint64_t documents, uint64_t tokens)>;

// One Problem per bad input: the file unreadable, empty, not a regular file, or
// truncated or rewritten while it is read (key --input), a bad line (key "FILE:LINE"),
// an output that cannot be written (--output-prefix), a thread that cannot be started
// (--workers).
bool preprocess(const PreprocessOptions& options, const Tokenizer& tokenizer, const ProgressFn& progress,
                PreprocessSummary* summary, Problems* problems);

// Reads the whole --input as preprocess() sees it, for --train-tokenizer: calls doc for
// every document in file order. Same Problems as preprocess().
bool read_documents(const PreprocessOptions& options, const std::function<void(std::string_view)>& doc,
                    Problems* problems);

// The files preprocess() writes: PREFIX_<key>_document.bin, .idx and .vocab.json.
std::vector<std::string> output_files(const PreprocessOptions& options);

// An option and the file it names.
struct NamedFile {
  std::string key, path;
};
// One Problem (key of the output, exit 2) for each output that is one of the inputs:
// the same file (device and inode), whatever names, hard or symbolic links lead to it.
// Writing it would replace the input. Outputs that do not exist yet are fine.
void check_outputs_are_not_inputs(const std::vector<NamedFile>& inputs, const std::vector<NamedFile>& outputs,
                                  Problems* problems);

}  // namespace trn::data
