// `trn-train data`'s pipeline without the command line: documents from text and JSONL,
// UTF-8 checking, and output that does not depend on chunk size or worker count.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>

#include "data/preprocess.h"
#include "data/vocab_sidecar.h"
#include "tests/unit/data_test_util.h"

namespace trn::data {
namespace {

using testing::TempDir;

std::vector<std::string> documents_of(const std::string& text, InputFormat format) {
  std::vector<std::string> docs;
  uint64_t lines = 0;
  ChunkError error;
  EXPECT_TRUE(for_each_document(text, format, "text", [&](std::string_view d) { docs.emplace_back(d); }, &lines,
                                &error))
      << error.what;
  return docs;
}

TEST(DataPreprocess, Utf8) {
  EXPECT_TRUE(valid_utf8("plain, caf\xc3\xa9, \xe2\x82\xac, \xf0\x9f\x98\x80"));
  for (const char* bad : {"caf\xe9", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xe2\x82"})
    EXPECT_FALSE(valid_utf8(bad)) << bad;
}

TEST(DataPreprocess, DocumentsAreParagraphsOrJsonLines) {
  EXPECT_EQ(documents_of("a\nb\n\n \t\r\n\nc", InputFormat::kText), (std::vector<std::string>{"a\nb", "c"}));
  EXPECT_EQ(documents_of("\n\nonly\n", InputFormat::kText), (std::vector<std::string>{"only"}));
  EXPECT_EQ(documents_of("{\"text\": \"x\\ny\"}\n\n{\"id\": 1, \"text\": \"\"}\n", InputFormat::kJsonl),
            (std::vector<std::string>{"x\ny", ""}));
  uint64_t lines = 0;
  ChunkError error;
  EXPECT_FALSE(for_each_document("{\"text\": \"a\"}\n{\"body\": \"b\"}\n", InputFormat::kJsonl, "text",
                                 [](std::string_view) {}, &lines, &error));
  EXPECT_EQ(error.line, 2u);
}

// Reading a file in pieces of any size and cutting each at last_cut() gives the
// documents of the whole file.
TEST(DataPreprocess, ChunksNeverSplitADocument) {
  std::string text;
  for (int i = 0; i < 300; ++i) text += "line " + std::to_string(i) + "\n" + (i % 3 == 2 ? " \r\n" : "");
  {
    const InputFormat format = InputFormat::kText;
    const auto whole = documents_of(text, format);
    for (size_t piece : {1, 7, 50, 4096}) {
      std::vector<std::string> pieces;
      std::string buffer;
      size_t chunks = 0;
      for (size_t at = 0; at < text.size(); at += piece) {
        const size_t from = buffer.size();
        buffer += text.substr(at, piece);
        const size_t cut = at + piece >= text.size() ? buffer.size() : last_cut(buffer, format, from);
        if (cut == 0) continue;
        for (const auto& d : documents_of(buffer.substr(0, cut), InputFormat::kText)) pieces.push_back(d);
        buffer.erase(0, cut);
        ++chunks;
      }
      EXPECT_EQ(pieces, whole) << piece;
      if (piece < 100) {
        EXPECT_GT(chunks, 10u) << piece;
      }
    }
  }
  EXPECT_EQ(last_cut("a\n\nb\n", InputFormat::kText), 3u);
  EXPECT_EQ(last_cut("a\nb\n", InputFormat::kText), 0u);
  EXPECT_EQ(last_cut("a\nb\n", InputFormat::kJsonl), 4u);
  EXPECT_EQ(last_cut("a\n\nb\n", InputFormat::kJsonl, 5), 0u);
}

struct Outcome {
  bool ok = false;
  Problems problems;
  PreprocessSummary summary;
  std::string bin, idx;
};

Outcome run(const std::string& input, const std::string& prefix, int workers, size_t chunk_bytes,
            const ProgressFn& progress = nullptr) {
  PreprocessOptions o;
  o.input = input;
  o.output_prefix = prefix;
  o.workers = workers;
  o.chunk_bytes = chunk_bytes;
  Problems problems;
  const auto tok = Tokenizer::open("byte", "--tokenizer", &problems);
  Outcome r;
  r.ok = preprocess(o, *tok, progress, &r.summary, &r.problems);
  if (r.ok) {
    read_file(r.summary.dataset_prefix + ".bin", &r.bin);
    read_file(r.summary.dataset_prefix + ".idx", &r.idx);
  }
  return r;
}

TEST(DataPreprocess, OutputIndependentOfWorkersAndChunks) {
  TempDir dir;
  std::string text;
  for (int i = 0; i < 2000; ++i) text += "document " + std::to_string(i) + (i % 7 ? " more\n\n" : "\nsecond line\n\n");
  std::string error;
  ASSERT_TRUE(write_file_atomic(dir.path + "/in.txt", text, 0644, &error));
  const Outcome a = run(dir.path + "/in.txt", dir.path + "/a", 1, 1 << 20);
  const Outcome b = run(dir.path + "/in.txt", dir.path + "/b", 3, 64);
  ASSERT_TRUE(a.ok && b.ok);
  EXPECT_EQ(a.summary.documents, 2000u);
  EXPECT_EQ(a.summary.dataset_prefix, dir.path + "/a_text_document");
  EXPECT_EQ(a.bin, b.bin);
  EXPECT_EQ(a.idx, b.idx);
  EXPECT_EQ(a.bin.size(), 2 * (text.size() - 2 * 2000 + 2000));  // one EOS per document instead of "\n\n"
}

TEST(DataPreprocess, BadLineIsNamedAcrossChunks) {
  TempDir dir;
  std::string text;
  for (int i = 0; i < 500; ++i) text += "fine line\n\n";
  text += "caf\xe9\n";
  std::string error;
  ASSERT_TRUE(write_file_atomic(dir.path + "/in.txt", text, 0644, &error));
  const Outcome r = run(dir.path + "/in.txt", dir.path + "/o", 4, 100);
  EXPECT_FALSE(r.ok);
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_EQ(r.problems[0].key, dir.path + "/in.txt:1001");
  EXPECT_EQ(r.problems[0].value, "not UTF-8");
  EXPECT_EQ(list_dir(dir.path), std::vector<std::string>{"in.txt"});  // no dataset, no temp file
}


// A FIFO (no writer), a folder or /dev/zero as --input or tokenizer model: refused at
// once with "not a regular file". The child has 10 s and 4 GB: blocking in open() or
// reading /dev/zero until bad_alloc (the old behaviour) fails the test.
// In a child: exit 0 when each is refused as "not a regular file" by both readers.
[[noreturn]] void refuse_no_files(const std::string& dir, const std::string& fifo) {
  ::alarm(10);
#ifndef __SANITIZE_ADDRESS__  // ASan reserves terabytes of address space (its shadow): the alarm bounds it there
  const struct rlimit as {4ull << 30, 4ull << 30};
  ::setrlimit(RLIMIT_AS, &as);
#endif
  int refused = 0;
  for (const std::string& path : {fifo, dir, std::string("/dev/zero")}) {
    Problems p;
    refused += !Tokenizer::open(path, "--tokenizer-model", &p) && p.size() == 1 &&
               p[0].fix.find("not a regular file") != std::string::npos;
    const Outcome r = run(path, dir + "/o", 1, 1 << 20);
    refused += !r.ok && r.problems.size() == 1 && r.problems[0].fix.find("not a regular file") == 0;
  }
  std::exit(refused == 6 ? 0 : 1);
}

TEST(DataPreprocess, InputsThatAreNoFilesAreRefusedWithoutBlocking) {
  TempDir dir;
  const std::string fifo = dir.path + "/fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_EXIT(refuse_no_files(dir.path, fifo), ::testing::ExitedWithCode(0), "");
}

TEST(DataPreprocess, TokenizerModelSizeIsCapped) {
  TempDir dir;
  const std::string big = dir.path + "/big.model";
  ASSERT_EQ(::truncate((::close(::open(big.c_str(), O_CREAT | O_WRONLY, 0600)), big.c_str()), 65 << 20), 0);
  Problems p;
  EXPECT_FALSE(Tokenizer::open(big, "--tokenizer-model", &p));
  ASSERT_EQ(p.size(), 1u);
  EXPECT_NE(p[0].fix.find("more than the 67108864 allowed"), std::string::npos) << p[0].fix;
}

std::string many_documents(int n) {
  std::string text;
  for (int i = 0; i < n; ++i) text += "document " + std::to_string(i) + " with some words in it\n\n";
  return text;
}

// The input truncated while it is tokenized: an error naming it, no dataset. (The old
// mapping died of SIGBUS: the chunks after the first are read after the truncation.)
// In a child: exit 0 when preprocess() refuses an input truncated after its first chunk.
[[noreturn]] void truncate_while_read(const std::string& dir, const std::string& in) {
  const Outcome r = run(in, dir + "/o", 1, 4096, [&](uint64_t, uint64_t, uint64_t) {
    if (::truncate(in.c_str(), 0) != 0) std::exit(3);
  });
  std::exit(!r.ok && r.problems.size() == 1 && r.problems[0].key == "--input" &&
                    r.problems[0].fix.find("truncated while it was read") != std::string::npos
                ? 0
                : 1);
}

TEST(DataPreprocess, InputTruncatedWhileReadIsAnError) {
  TempDir dir;
  const std::string in = dir.path + "/in.txt";
  std::string error;
  ASSERT_TRUE(write_file_atomic(in, many_documents(40000), 0644, &error));
  EXPECT_EXIT(truncate_while_read(dir.path, in), ::testing::ExitedWithCode(0), "");
  EXPECT_EQ(list_dir(dir.path), std::vector<std::string>{"in.txt"});
}

// Rewritten in place (same size) while it is tokenized: refused, nothing published.
TEST(DataPreprocess, InputRewrittenWhileReadIsAnError) {
  TempDir dir;
  const std::string in = dir.path + "/in.txt";
  const std::string text = many_documents(2000);
  std::string error;
  ASSERT_TRUE(write_file_atomic(in, text, 0644, &error));
  bool rewritten = false;
  const Outcome r = run(in, dir.path + "/o", 2, 4096, [&](uint64_t, uint64_t, uint64_t) {
    if (rewritten) return;
    rewritten = true;
    const int fd = ::open(in.c_str(), O_WRONLY);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::pwrite(fd, "X", 1, off_t(text.size() - 3)), 1);
    const struct timespec later[2] = {{0, UTIME_OMIT}, {::time(nullptr) + 5, 0}};  // a clock tick apart, surely
    ASSERT_EQ(::futimens(fd, later), 0);
    ::close(fd);
  });
  EXPECT_FALSE(r.ok);
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_EQ(r.problems[0].key, "--input");
  EXPECT_NE(r.problems[0].fix.find("was rewritten while it was read"), std::string::npos) << r.problems[0].fix;
  EXPECT_EQ(list_dir(dir.path), std::vector<std::string>{"in.txt"});
}

// A run that stops after publishing the new .bin (here: the .idx cannot be written,
// the file size limit; a kill is the same moment) leaves no .idx and no sidecar of the
// previous run next to it, so no reader can pair the new .bin with them.
TEST(DataPreprocess, NewBinNeverSitsNextToTheOldIndex) {
  TempDir dir;
  std::string error;
  ASSERT_TRUE(write_file_atomic(dir.path + "/a.txt", "one two\n\nthree\n", 0644, &error));
  ASSERT_TRUE(write_file_atomic(dir.path + "/b.txt", "one\n\ntwo three\n", 0644, &error));  // same tokens
  ASSERT_TRUE(run(dir.path + "/a.txt", dir.path + "/o", 1, 1 << 20).ok);
  const std::string prefix = dir.path + "/o_text_document";
  ASSERT_TRUE(::access((prefix + ".idx").c_str(), F_OK) == 0 && ::access(vocab_sidecar_path(prefix).c_str(), F_OK) == 0);

  struct rlimit old {};
  ::getrlimit(RLIMIT_FSIZE, &old);
  const struct rlimit small {40, old.rlim_max};  // the .bin (28 bytes) fits, the .idx (82) does not
  auto* old_handler = ::signal(SIGXFSZ, SIG_IGN);
  ::setrlimit(RLIMIT_FSIZE, &small);
  const Outcome r = run(dir.path + "/b.txt", dir.path + "/o", 1, 1 << 20);
  ::setrlimit(RLIMIT_FSIZE, &old);
  ::signal(SIGXFSZ, old_handler);
  ASSERT_FALSE(r.ok);
  std::string bin;
  ASSERT_TRUE(read_file(prefix + ".bin", &bin));
  ASSERT_EQ(bin.size(), 28u);  // the new one: published before the failure
  EXPECT_NE(::access((prefix + ".idx").c_str(), F_OK), 0) << "the old .idx is still there";
  EXPECT_NE(::access(vocab_sidecar_path(prefix).c_str(), F_OK), 0) << "the old sidecar is still there";
}

// Write a leftover temp of `target` with `bytes`, last written `age_s` ago.
std::string leftover(const std::string& target, const std::string& token, size_t bytes, int age_s) {
  const std::string path = target + ".tmp." + token + ".1";
  std::string error;
  EXPECT_TRUE(write_new_file(path, std::string(bytes, 'x'), 0600, &error)) << error;
  const struct timespec then[2] = {{0, UTIME_OMIT}, {::time(nullptr) - age_s, 0}};
  EXPECT_EQ(::utimensat(AT_FDCWD, path.c_str(), then, 0), 0);
  return path;
}

// A killed run's temp files are removed by the next run on the prefix; a live writer's
// (it holds the flock), a recent one and an empty one (a writer between its create and
// its lock) stay.
TEST(DataPreprocess, LeftoversOfKilledRunsAreRemoved) {
  TempDir dir;
  std::string error;
  ASSERT_TRUE(write_file_atomic(dir.path + "/in.txt", "some text\n", 0644, &error));
  const std::string prefix = dir.path + "/o_text_document";
  const std::string dead_bin = leftover(prefix + ".bin", "dead", 1000, 3600);
  const std::string dead_idx = leftover(prefix + ".idx", "dead", 100, 3600);
  const std::string live = leftover(prefix + ".bin", "live", 1000, 3600);
  const std::string recent = leftover(prefix + ".bin", "recent", 1000, 10);
  const std::string empty = leftover(prefix + ".bin", "empty", 0, 3600);
  const std::string other = leftover(dir.path + "/other.bin", "dead", 1000, 3600);
  const int held = ::open(live.c_str(), O_RDONLY);
  ASSERT_EQ(::flock(held, LOCK_EX), 0);
  const Outcome r = run(dir.path + "/in.txt", dir.path + "/o", 1, 1 << 20);
  ::close(held);
  ASSERT_TRUE(r.ok);
  std::vector<std::string> removed;
  for (const auto& [path, bytes] : r.summary.removed_leftovers) removed.push_back(path + " " + std::to_string(bytes));
  std::sort(removed.begin(), removed.end());
  EXPECT_EQ(removed, (std::vector<std::string>{dead_bin + " 1000", dead_idx + " 100"}));
  for (const auto& kept : {live, recent, empty, other}) EXPECT_EQ(::access(kept.c_str(), F_OK), 0) << kept;
}

// SIGTERM (a job's end) or Ctrl-C while the dataset is written: its temp file goes too.
// In a child: a writer with a document written, then SIGTERM.
[[noreturn]] void terminate_while_writing(const std::string& prefix) {
  IndexedDatasetWriter writer(prefix, DType::kU16);
  std::string error;
  if (!writer.start(&error)) std::exit(1);
  const int ids[] = {1, 2, 3};
  writer.add_document(ids, 3, &error);
  ::raise(SIGTERM);
  std::exit(2);
}

TEST(DataPreprocess, TempFileIsRemovedOnSigterm) {
  TempDir dir;
  EXPECT_EXIT(terminate_while_writing(dir.path + "/o"), ::testing::KilledBySignal(SIGTERM), "");
  EXPECT_EQ(list_dir(dir.path), std::vector<std::string>{});
}

}  // namespace
}  // namespace trn::data
