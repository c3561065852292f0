#include "data/preprocess.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>

#include "data/indexed_dataset.h"
#include "data/vocab_sidecar.h"

namespace trn::data {
namespace {

// The --input, mapped read-only for the whole run (never copied).
class MappedInput {
 public:
  bool open(const std::string& path, Problems* problems) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    struct stat st {};
    if (fd < 0 || ::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
      problems->push_back({"--input", path, (fd < 0 ? std::string(std::strerror(errno)) : "not a regular file") +
                                                ": give a UTF-8 text or JSONL file"});
      if (fd >= 0) ::close(fd);
      return false;
    }
    size_ = static_cast<size_t>(st.st_size);
    if (size_ > 0) {
      void* m = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
      data_ = m == MAP_FAILED ? nullptr : static_cast<const char*>(m);
    }
    ::close(fd);
    if (size_ == 0 || !data_) {
      problems->push_back({"--input", path, size_ == 0 ? "is empty: give a file with text in it"
                                                       : "cannot be mapped: " + std::string(std::strerror(errno))});
      return false;
    }
    return true;
  }
  ~MappedInput() {
    if (data_) ::munmap(const_cast<char*>(data_), size_);
  }
  std::string_view text() const { return {data_, size_}; }

 private:
  const char* data_ = nullptr;
  size_t size_ = 0;
};

struct ChunkResult {
  bool done = false, ok = true;
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
  MappedInput input;
  if (!input.open(o.input, problems)) return false;
  uint64_t lines = 0, documents = 0;
  ChunkError error;
  const auto count = [&](std::string_view d) { ++documents, doc(d); };
  if (!for_each_document(input.text(), o.format, o.json_key, count, &lines, &error)) {
    bad_line(o, error.line, error, problems);
    return false;
  }
  return !no_documents(o, documents, problems);
}

bool preprocess(const PreprocessOptions& o, const Tokenizer& tokenizer, const ProgressFn& progress,
                PreprocessSummary* summary, Problems* problems) {
  const auto t0 = std::chrono::steady_clock::now();
  MappedInput input;
  if (!input.open(o.input, problems)) return false;
  const std::string_view text = input.text();
  const std::vector<size_t> cuts = chunk_boundaries(text, o.format, o.chunk_bytes);
  const size_t chunks = cuts.size() - 1;
  std::vector<ChunkResult> results(chunks);
  std::mutex mu;
  std::condition_variable cv;
  size_t written = 0;
  std::atomic<size_t> next{0};
  std::atomic<bool> stop{false};
  const int workers = std::max(1, o.workers);
  const size_t window = 4 * static_cast<size_t>(workers);  // chunks in memory at once

  auto work = [&] {
    for (size_t i; !stop && (i = next++) < chunks;) {
      {
        std::unique_lock<std::mutex> lock(mu);
        cv.wait(lock, [&] { return stop || i < written + window; });
      }
      ChunkResult r;
      const auto add = [&](std::string_view doc) {
        const size_t before = r.ids.size();
        tokenizer.encode(doc, &r.ids);
        if (o.append_eod) r.ids.push_back(tokenizer.eos_id());
        r.sizes.push_back(static_cast<uint32_t>(r.ids.size() - before));
      };
      r.ok = for_each_document(text.substr(cuts[i], cuts[i + 1] - cuts[i]), o.format, o.json_key, add, &r.lines,
                               &r.error);
      std::lock_guard<std::mutex> lock(mu);
      r.done = true;
      results[i] = std::move(r);
      cv.notify_all();
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < workers; ++t) threads.emplace_back(work);

  summary->dataset_prefix = o.output_prefix + "_" + o.json_key + "_document";
  IndexedDatasetWriter writer(summary->dataset_prefix, dtype_for_vocab(tokenizer.vocab_size()));
  std::string error;
  bool ok = writer.start(&error);
  if (!ok) problems->push_back({"--output-prefix", o.output_prefix, error + ": give a writable folder and prefix"});
  uint64_t lines = 0;
  int max_id = -1;
  for (size_t i = 0; ok && i < chunks; ++i) {
    ChunkResult r;
    {
      std::unique_lock<std::mutex> lock(mu);
      cv.wait(lock, [&] { return results[i].done; });
      r = std::move(results[i]);
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
    if (progress) progress(cuts[i + 1], summary->documents, writer.tokens());
  }
  {
    std::lock_guard<std::mutex> lock(mu);
    stop = true;
    cv.notify_all();
  }
  for (auto& t : threads) t.join();
  if (!ok || no_documents(o, summary->documents, problems)) return false;
  if (!writer.finish(&error)) {
    problems->push_back({"--output-prefix", o.output_prefix, error});
    return false;
  }
  summary->tokens = writer.tokens();
  summary->input_bytes = text.size();
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

}  // namespace trn::data
