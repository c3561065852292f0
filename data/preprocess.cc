#include "data/preprocess.h"

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <system_error>
#include <thread>

#include "common/fs.h"
#include "data/indexed_dataset.h"
#include "data/vocab_sidecar.h"

namespace trn::data {
namespace {

// The --input, read front to back in chunks that end at document boundaries (never
// mapped: a file truncated meanwhile is an error, not SIGBUS; never opened blocking).
class ChunkReader {
 public:
  bool open(const PreprocessOptions& o, Problems* problems) {
    o_ = &o;
    std::string why;
    if (!file_.open(o.input, &why)) {
      problems->push_back({"--input", o.input, why + ": give a UTF-8 text or JSONL file"});
      return false;
    }
    if (file_.size() == 0) {
      problems->push_back({"--input", o.input, "is empty: give a file with text in it"});
      return false;
    }
    return true;
  }
  uint64_t size() const { return file_.size(); }
  uint64_t offset() const { return offset_ - carry_.size(); }  // where the next chunk starts
  // The next chunk (empty at the end of the file); false with a Problem when the file
  // cannot be read to the size it had when opened.
  bool next(std::string* chunk, Problems* problems) {
    chunk->swap(carry_);
    carry_.clear();
    while (offset_ < file_.size()) {
      const size_t from = chunk->size();
      const size_t n = static_cast<size_t>(std::min<uint64_t>(std::max<size_t>(o_->chunk_bytes, 1), file_.size() - offset_));
      std::string why;
      if (!file_.read_at(offset_, n, chunk, &why)) {
        problems->push_back({"--input", o_->input, why + ": run again once nothing writes to it"});
        return false;
      }
      offset_ += n;
      if (offset_ == file_.size()) break;
      const size_t cut = last_cut(*chunk, o_->format, from);
      if (cut > 0) {
        carry_.assign(*chunk, cut);
        chunk->resize(cut);
        break;
      }
    }
    return true;
  }
  // After the last chunk: a file rewritten in place while it was read is refused.
  bool unchanged(Problems* problems) const {
    std::string why;
    if (file_.unchanged(&why)) return true;
    problems->push_back({"--input", o_->input, why + ": run again once nothing writes to it"});
    return false;
  }

 private:
  const PreprocessOptions* o_ = nullptr;
  InputFile file_;
  uint64_t offset_ = 0;  // bytes read from the file
  std::string carry_;    // read, not yet handed out
};

struct ChunkResult {
  bool done = false, ok = true;
  uint64_t end_offset = 0;  // of the chunk in the input
  ChunkError error;
  uint64_t lines = 0;
  std::vector<int> ids;
  std::vector<uint32_t> sizes;
};

void bad_line(const PreprocessOptions& o, uint64_t line, const ChunkError& e, Problems* problems) {
  const std::string fix = e.what == "not UTF-8"
                              ? "convert the file to UTF-8 (e.g. iconv -f latin1 -t utf-8) or remove the line"
                              : "each line must be a JSON object with a string \"" + o.json_key +
                                    "\" (--json-keys names the key)";
  problems->push_back({o.input + ":" + std::to_string(line), e.what, fix});
}

bool no_documents(const PreprocessOptions& o, uint64_t documents, Problems* problems) {
  if (documents > 0) return false;
  problems->push_back({"--input", o.input, "holds no documents (only blank lines): give a file with text in it"});
  return true;
}

}  // namespace

bool read_documents(const PreprocessOptions& o, const std::function<void(std::string_view)>& doc,
                    Problems* problems) {
  ChunkReader input;
  if (!input.open(o, problems)) return false;
  uint64_t lines = 0, documents = 0;
  const auto count = [&](std::string_view d) { ++documents, doc(d); };
  for (std::string chunk; input.next(&chunk, problems);) {
    if (chunk.empty()) return input.unchanged(problems) && !no_documents(o, documents, problems);
    uint64_t chunk_lines = 0;
    ChunkError error;
    if (!for_each_document(chunk, o.format, o.json_key, count, &chunk_lines, &error)) {
      bad_line(o, lines + error.line, error, problems);
      return false;
    }
    lines += chunk_lines;
  }
  return false;
}

bool preprocess(const PreprocessOptions& o, const Tokenizer& tokenizer, const ProgressFn& progress,
                PreprocessSummary* summary, Problems* problems) {
  const auto t0 = std::chrono::steady_clock::now();
  ChunkReader input;
  if (!input.open(o, problems)) return false;
  // Guarded by mu: the reader (a worker reads the next chunk under the lock, so chunks
  // are numbered in file order), the results not yet written, read_problems.
  std::mutex mu;
  std::condition_variable cv;
  std::map<size_t, ChunkResult> results;
  size_t claimed = 0, written = 0, chunks = SIZE_MAX;  // chunks: known once the reader is done
  Problems read_problems;
  bool stop = false;
  const int workers = std::max(1, o.workers);
  const size_t window = 4 * static_cast<size_t>(workers);  // chunks in memory at once

  auto work = [&] {
    for (;;) {
      std::string chunk;
      ChunkResult r;
      size_t i = 0;
      {
        std::unique_lock<std::mutex> lock(mu);
        cv.wait(lock, [&] { return stop || claimed >= chunks || claimed < written + window; });
        if (stop || claimed >= chunks) return;
        if (!input.next(&chunk, &read_problems) || chunk.empty()) {
          chunks = claimed;
          cv.notify_all();
          return;
        }
        r.end_offset = input.offset();
        i = claimed++;
      }
      const auto add = [&](std::string_view doc) {
        const size_t before = r.ids.size();
        tokenizer.encode(doc, &r.ids);
        if (o.append_eod) r.ids.push_back(tokenizer.eos_id());
        r.sizes.push_back(static_cast<uint32_t>(r.ids.size() - before));
      };
      r.ok = for_each_document(chunk, o.format, o.json_key, add, &r.lines, &r.error);
      std::lock_guard<std::mutex> lock(mu);
      r.done = true;
      results[i] = std::move(r);
      cv.notify_all();
    }
  };
  const auto stop_workers = [&] {
    std::lock_guard<std::mutex> lock(mu);
    stop = true;
    cv.notify_all();
  };
  std::vector<std::thread> threads;
  try {
    for (int t = 0; t < workers; ++t) threads.emplace_back(work);
  } catch (const std::system_error& e) {  // past the process or system thread limit
    stop_workers();
    for (auto& t : threads) t.join();
    problems->push_back({"--workers", std::to_string(o.workers),
                         "thread " + std::to_string(threads.size() + 1) + " cannot be started (" + e.what() +
                             "): give fewer workers (ulimit -u and /proc/sys/kernel/threads-max set the limit)"});
    return false;
  }

  summary->dataset_prefix = o.output_prefix + "_" + o.json_key + "_document";
  IndexedDatasetWriter writer(summary->dataset_prefix, dtype_for_vocab(tokenizer.vocab_size()));
  std::string error;
  bool ok = writer.start(&error);
  if (!ok) problems->push_back({"--output-prefix", o.output_prefix, error + ": give a writable folder and prefix"});
  summary->removed_leftovers = writer.removed_leftovers();
  uint64_t lines = 0;
  int max_id = -1;
  for (size_t i = 0; ok; ++i) {
    ChunkResult r;
    {
      std::unique_lock<std::mutex> lock(mu);
      cv.wait(lock, [&] { return i >= chunks || (results.count(i) && results[i].done); });
      if (i >= chunks) break;
      r = std::move(results[i]);
      results.erase(i);
    }
    if (!r.ok) {
      bad_line(o, lines + r.error.line, r.error, problems);
      ok = false;
      break;
    }
    lines += r.lines;
    const int* ids = r.ids.data();
    for (uint32_t size : r.sizes) {
      if (!writer.add_document(ids, size, &error)) {
        problems->push_back({"--output-prefix", o.output_prefix, error});
        ok = false;
        break;
      }
      ids += size;
    }
    for (int id : r.ids) max_id = std::max(max_id, id);
    summary->documents += r.sizes.size();
    {
      std::lock_guard<std::mutex> lock(mu);
      ++written;
      cv.notify_all();
    }
    if (progress) progress(r.end_offset, summary->documents, writer.tokens());
  }
  stop_workers();
  for (auto& t : threads) t.join();
  if (ok && !read_problems.empty()) {
    problems->insert(problems->end(), read_problems.begin(), read_problems.end());
    ok = false;
  }
  if (ok && !input.unchanged(problems)) ok = false;
  if (!ok || no_documents(o, summary->documents, problems)) return false;
  if (!writer.finish(&error)) {
    problems->push_back({"--output-prefix", o.output_prefix, error});
    return false;
  }
  summary->tokens = writer.tokens();
  summary->input_bytes = input.size();
  VocabRecord record;
  record.vocab_size = tokenizer.vocab_size();
  record.max_token_id = max_id;
  record.tokenizer = tokenizer.name();
  record.bin_bytes = summary->tokens * token_width(dtype_for_vocab(tokenizer.vocab_size()));
  record.documents = summary->documents;
  record.tokens = summary->tokens;
  if (!write_vocab_sidecar(summary->dataset_prefix, record, &error)) {
    problems->push_back({"--output-prefix", o.output_prefix, error});
    return false;
  }
  summary->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return true;
}

std::vector<std::string> output_files(const PreprocessOptions& o) {
  const std::string prefix = o.output_prefix + "_" + o.json_key + "_document";
  return {prefix + ".bin", prefix + ".idx", vocab_sidecar_path(prefix)};
}

void check_outputs_are_not_inputs(const std::vector<NamedFile>& inputs, const std::vector<NamedFile>& outputs,
                                  Problems* problems) {
  for (const auto& out : outputs) {
    struct stat o {};
    if (::stat(out.path.c_str(), &o) != 0) continue;
    for (const auto& in : inputs) {
      struct stat i {};
      if (::stat(in.path.c_str(), &i) != 0 || !same_file(i, o)) continue;
      problems->push_back({out.key, out.path, "is the file " + in.key + " names (" + in.path +
                                                  "); writing it would replace that input: choose another " + out.key});
      break;
    }
  }
}

}  // namespace trn::data
