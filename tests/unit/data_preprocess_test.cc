// `trn-train data`'s pipeline without the command line: documents from text and JSONL,
// UTF-8 checking, and output that does not depend on chunk size or worker count.
#include <gtest/gtest.h>

#include "data/preprocess.h"
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

TEST(DataPreprocess, ChunksNeverSplitADocument) {
  std::string text;
  for (int i = 0; i < 300; ++i) text += "line " + std::to_string(i) + "\n" + (i % 3 == 2 ? "\n" : "");
  const auto whole = documents_of(text, InputFormat::kText);
  std::vector<std::string> pieces;
  const auto cuts = chunk_boundaries(text, InputFormat::kText, 50);
  ASSERT_GT(cuts.size(), 10u);
  for (size_t i = 0; i + 1 < cuts.size(); ++i)
    for (const auto& d : documents_of(text.substr(cuts[i], cuts[i + 1] - cuts[i]), InputFormat::kText))
      pieces.push_back(d);
  EXPECT_EQ(pieces, whole);
}

struct Outcome {
  bool ok = false;
  Problems problems;
  PreprocessSummary summary;
  std::string bin, idx;
};

Outcome run(const std::string& input, const std::string& prefix, int workers, size_t chunk_bytes) {
  PreprocessOptions o;
  o.input = input;
  o.output_prefix = prefix;
  o.workers = workers;
  o.chunk_bytes = chunk_bytes;
  Problems problems;
  const auto tok = Tokenizer::open("byte", "--tokenizer", &problems);
  Outcome r;
  r.ok = preprocess(o, *tok, nullptr, &r.summary, &r.problems);
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

}  // namespace
}  // namespace trn::data
