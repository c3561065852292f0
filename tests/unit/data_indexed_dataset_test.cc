// The Megatron .bin/.idx writer and reader: byte layout, round trip, and every way an
// .idx can disagree with its .bin refused with one Problem naming the file.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include "cache/checksum.h"
#include "data/indexed_dataset.h"
#include "data/vocab_sidecar.h"
#include "tests/unit/data_test_util.h"

namespace trn::data {
namespace {

using testing::TempDir;
using testing::write_dataset;
using trn::test::slurp;
using trn::cache::sha256_hex;

TEST(DataIndexedDataset, LayoutIsMegatrons) {
  TempDir dir;
  const std::string p = dir.path + "/d";
  write_dataset(p, {{1, 2, 3}, {65535}});
  const std::string idx = slurp(p + ".idx"), bin = slurp(p + ".bin");
  ASSERT_EQ(idx.size(), kIndexHeaderBytes + 2 * 4 + 2 * 8 + 3 * 8);
  EXPECT_EQ(0, std::memcmp(idx.data(), "MMIDIDX\0\0", 9));
  uint64_t version, n, m;
  std::memcpy(&version, idx.data() + 9, 8);
  std::memcpy(&n, idx.data() + 18, 8);
  std::memcpy(&m, idx.data() + 26, 8);
  EXPECT_EQ(version, 1u);
  EXPECT_EQ(idx[17], 8);  // uint16
  EXPECT_EQ(n, 2u);
  EXPECT_EQ(m, 3u);
  int64_t pointer1;
  std::memcpy(&pointer1, idx.data() + kIndexHeaderBytes + 8 + 8, 8);
  EXPECT_EQ(pointer1, 6);
  EXPECT_EQ(bin, std::string("\x01\x00\x02\x00\x03\x00\xff\xff", 8));
  EXPECT_EQ(dtype_for_vocab(32000), DType::kU16);
  EXPECT_EQ(dtype_for_vocab(128256), DType::kI32);
}

TEST(DataIndexedDataset, RoundTripAllWidths) {
  TempDir dir;
  const std::vector<std::vector<int>> docs{{5, 6, 7, 8}, {}, {9}, {100, 200}};
  for (DType t : {DType::kU8, DType::kU16, DType::kI32, DType::kI64}) {
    const std::string p = dir.path + "/w" + std::to_string(static_cast<int>(t));
    write_dataset(p, docs, t);
    Problems problems;
    auto d = IndexedDataset::open(p, &problems);
    ASSERT_TRUE(d) << (problems.empty() ? "" : problems[0].str());
    ASSERT_EQ(d->documents(), docs.size());
    for (uint64_t i = 0; i < docs.size(); ++i) {
      ASSERT_EQ(d->size(i), docs[i].size());
      std::vector<int> got(docs[i].size());
      EXPECT_FALSE(d->read(i, 0, got.size(), got.data(), 201));
      EXPECT_EQ(got, docs[i]);
    }
    int64_t lo, hi;
    EXPECT_FALSE(d->token_range(&lo, &hi));
    EXPECT_EQ(lo, 5);
    EXPECT_EQ(hi, 200);
  }
}

TEST(DataIndexedDataset, WriterLeavesNothingWithoutFinish) {
  TempDir dir;
  {
    IndexedDatasetWriter w(dir.path + "/x", DType::kU16);
    std::string error;
    ASSERT_TRUE(w.start(&error));
    const int ids[] = {1, 2};
    ASSERT_TRUE(w.add_document(ids, 2, &error));
  }
  EXPECT_TRUE(list_dir(dir.path).empty());
}

// Each corruption yields exactly one Problem whose key is the .idx or .bin path.
void expect_refused(const std::string& prefix, const std::string& key_suffix, const std::string& fragment) {
  Problems problems;
  EXPECT_FALSE(IndexedDataset::open(prefix, &problems));
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].key.find(key_suffix), std::string::npos) << problems[0].str();
  EXPECT_NE(problems[0].str().find(fragment), std::string::npos) << problems[0].str();
}

void patch(const std::string& path, size_t at, const std::string& bytes) {
  std::string s = slurp(path);
  s.replace(at, bytes.size(), bytes);
  std::string error;
  ASSERT_TRUE(write_file_atomic(path, s, 0644, &error)) << error;
}

TEST(DataIndexedDataset, IdxThatDoesNotMatchItsBinIsRefused) {
  TempDir dir;
  const std::string p = dir.path + "/d", q = dir.path + "/other";
  const auto fresh = [&] { write_dataset(p, {{1, 2, 3}, {4, 5}}); };
  fresh();
  std::string error;
  ASSERT_TRUE(write_file_atomic(p + ".bin", std::string(8, '\0'), 0644, &error));  // 4 tokens, index says 5
  expect_refused(p, ".bin", "promises 10 bytes");
  fresh();
  write_dataset(q, {{1, 2, 3, 4, 5, 6}});
  ASSERT_TRUE(write_file_atomic(p + ".bin", slurp(q + ".bin"), 0644, &error));  // another dataset's .bin
  expect_refused(p, ".bin", "12 bytes");
  fresh();
  patch(p + ".idx", 0, "XMIDIDX");
  expect_refused(p, ".idx", "MMIDIDX");
  fresh();
  patch(p + ".idx", 9, std::string("\x02", 1));
  expect_refused(p, ".idx", "version 2");
  fresh();
  patch(p + ".idx", 17, std::string("\x07", 1));
  expect_refused(p, ".idx", "dtype code 7");
  fresh();
  patch(p + ".idx", 18, std::string("\x03", 1));  // 3 sequences claimed
  expect_refused(p, ".idx", "does not match its header");
  fresh();
  patch(p + ".idx", kIndexHeaderBytes, std::string("\x09", 1));  // first size 9: the next pointer is off
  expect_refused(p, ".idx", "sequence 1: size 2 at byte 6 (expected byte 18)");
  fresh();
  patch(p + ".idx", kIndexHeaderBytes + 8 + 8, std::string("\x04", 1));  // second pointer 4, not 6
  expect_refused(p, ".idx", "at byte 4");
  fresh();
  patch(p + ".idx", kIndexHeaderBytes + 8 + 16 + 16, std::string("\x01", 1));  // last doc entry 1, not 2
  expect_refused(p, ".idx", "document index entry 2");
  fresh();
  const std::string idx = slurp(p + ".idx");
  ASSERT_TRUE(write_file_atomic(p + ".idx", idx.substr(0, idx.size() - 3), 0644, &error));  // truncated
  expect_refused(p, ".idx", "does not match its header");
  expect_refused(dir.path + "/missing", "missing.idx", "No such file");
}

TEST(DataIndexedDataset, SidecarRoundTrip) {
  TempDir dir;
  VocabRecord r;
  r.vocab_size = 257;
  r.max_token_id = 256;
  r.tokenizer = "byte";
  r.bin_bytes = 42;
  write_dataset(dir.path + "/p", {{1, 2}});
  std::string error;
  ASSERT_TRUE(write_vocab_sidecar(dir.path + "/p", r, &error)) << error;
  VocabRecord back;
  ASSERT_TRUE(read_vocab_sidecar(dir.path + "/p", &back));
  EXPECT_EQ(back.vocab_size, 257);
  EXPECT_EQ(back.max_token_id, 256);
  EXPECT_EQ(back.tokenizer, "byte");
  EXPECT_EQ(back.bin_bytes, 42u);
  EXPECT_EQ(back.idx_sha256, sha256_hex(slurp(dir.path + "/p.idx")));
  EXPECT_FALSE(read_vocab_sidecar(dir.path + "/none", &back));
}

// A sidecar field of the wrong JSON type is "not a record", not an exception that ends
// the trainer (nlohmann's get<> and value() throw on a type mismatch).
TEST(DataIndexedDataset, SidecarOfWrongTypesIsNotARecord) {
  TempDir dir;
  std::string error;
  VocabRecord back;
  ASSERT_TRUE(write_file_atomic(dir.path + "/p.vocab.json",
                                "{\"vocab_size\": 257, \"max_token_id\": 256, \"tokenizer\": 5, \"bin_bytes\": 42, "
                                "\"documents\": \"x\"}",
                                0644, &error));
  EXPECT_NO_THROW(read_vocab_sidecar(dir.path + "/p", &back));
  ASSERT_TRUE(write_file_atomic(dir.path + "/p.vocab.json", "{\"vocab_size\": 1e99, \"max_token_id\": 1, \"bin_bytes\": -4}",
                                0644, &error));
  EXPECT_FALSE(read_vocab_sidecar(dir.path + "/p", &back));
}

// Issue 18: a PREFIX.idx or PREFIX.bin that is a FIFO blocked open() forever (a folder or
// a device is refused too). The alarm turns a hang of the old code into a failure.
TEST(DataIndexedDataset, FifoOrDeviceIsRefusedWithoutBlocking) {
  TempDir dir;
  const std::string p = dir.path + "/d";
  for (const char* which : {".idx", ".bin"}) {
    write_dataset(p, {{1, 2, 3}});
    ASSERT_EQ(::unlink((p + which).c_str()), 0);
    ASSERT_EQ(::mkfifo((p + which).c_str(), 0600), 0);
    ::alarm(10);
    expect_refused(p, which, "not a regular file");
    ::alarm(0);
    ASSERT_EQ(::unlink((p + which).c_str()), 0);
    ASSERT_EQ(::symlink("/dev/zero", (p + which).c_str()), 0);
    expect_refused(p, which, "not a regular file");
    ASSERT_EQ(::unlink((p + which).c_str()), 0);
  }
}

}  // namespace
}  // namespace trn::data
