// GPT samples over indexed datasets: checked against a brute-force reading of the
// documented order (gpt_dataset.h), plus determinism, sharding, splits, blending, the
// vocabulary check and the config keys.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>

#include "data/gpt_dataset.h"
#include "data/vocab_sidecar.h"
#include "tests/unit/data_test_util.h"

namespace trn::data {
namespace {

using testing::TempDir;
using testing::write_dataset;

// Document d of a test dataset holds the distinct ids base + d*100 + i, so a token tells
// its document and position.
std::vector<std::vector<int>> docs_with_sizes(const std::vector<int>& sizes, int base = 0) {
  std::vector<std::vector<int>> docs;
  for (size_t d = 0; d < sizes.size(); ++d) {
    docs.emplace_back();
    for (int i = 0; i < sizes[d]; ++i) docs.back().push_back(base + static_cast<int>(d) * 100 + i);
  }
  return docs;
}

DatasetSpec spec_for(const std::string& prefix, int seq, uint64_t seed = 7) {
  DatasetSpec s;
  s.prefixes = {{1.0, prefix}};
  s.splits[0] = 1, s.splits[1] = s.splits[2] = 0;
  s.seq_length = seq;
  s.vocab_size = 100000;
  s.seed = seed;
  return s;
}

std::unique_ptr<GptDataset> open_ok(const DatasetSpec& s) {
  Problems problems;
  auto g = GptDataset::open(s, &problems);
  EXPECT_TRUE(g) << (problems.empty() ? "" : problems[0].str());
  return g;
}

std::vector<int> sample_of(const GptDataset& g, Split split, uint64_t i) {
  std::vector<int> t(g.seq_length() + 1);
  const auto problem = g.sample(split, i, t.data());
  EXPECT_FALSE(problem) << problem->str();
  return t;
}

// Brute force: the epoch's samples, chained by their shared token, must spell whole
// documents in some order, each document once, with less than one sample dropped at the end.
void expect_epoch_is_documented_order(const GptDataset& g, uint64_t epoch, const std::vector<int>& sizes, int seq) {
  const uint64_t n = g.samples(Split::kTrain);
  uint64_t total = 0;
  for (int s : sizes) total += s;
  ASSERT_EQ(n, (total - 1) / seq);
  std::map<int, std::vector<int>> by_first;
  std::set<int> lasts;
  for (uint64_t j = 0; j < n; ++j) {
    auto t = sample_of(g, Split::kTrain, epoch * n + j);
    ASSERT_TRUE(by_first.emplace(t[0], t).second) << "two samples start at token " << t[0];
    lasts.insert(t.back());
  }
  std::vector<int> stream;
  int at = -1;
  for (const auto& [first, t] : by_first)
    if (!lasts.count(first)) at = first;  // the chain's head
  for (uint64_t j = 0; j < n; ++j) {
    ASSERT_TRUE(by_first.count(at)) << "samples do not chain at token " << at;
    const auto& t = by_first[at];
    stream.insert(stream.end(), t.begin() + (j ? 1 : 0), t.end());
    at = t.back();
  }
  std::set<int> used;
  for (size_t i = 0; i < stream.size();) {
    const int d = stream[i] / 100;
    ASSERT_EQ(stream[i] % 100, 0) << "a document is entered in its middle";
    ASSERT_TRUE(used.insert(d).second) << "document " << d << " twice in an epoch";
    for (int k = 0; k < sizes[d] && i < stream.size(); ++k, ++i) ASSERT_EQ(stream[i], d * 100 + k);
  }
  EXPECT_LT(total - stream.size(), static_cast<uint64_t>(seq)) << "more than a sample's tail dropped";
}

TEST(DataGptDataset, SamplesFollowTheDocumentedOrder) {
  TempDir dir;
  const std::vector<int> sizes{5, 17, 1, 9, 30, 2, 11, 8};
  write_dataset(dir.path + "/d", docs_with_sizes(sizes));
  for (int seq : {1, 4, 7, 16}) {
    auto g = open_ok(spec_for(dir.path + "/d", seq));
    ASSERT_TRUE(g);
    for (uint64_t epoch : {0, 1, 5}) expect_epoch_is_documented_order(*g, epoch, sizes, seq);
  }
}

TEST(DataGptDataset, OrderIsSeededAndEpochsDiffer) {
  TempDir dir;
  write_dataset(dir.path + "/d", docs_with_sizes({20, 20, 20, 20, 20, 20, 20, 20}));
  auto a = open_ok(spec_for(dir.path + "/d", 8, 1)), b = open_ok(spec_for(dir.path + "/d", 8, 1)),
       c = open_ok(spec_for(dir.path + "/d", 8, 2));
  const uint64_t n = a->samples(Split::kTrain);
  std::vector<std::vector<int>> ea, eb, ec, next;
  for (uint64_t i = 0; i < n; ++i) {
    ea.push_back(sample_of(*a, Split::kTrain, i));
    next.push_back(sample_of(*a, Split::kTrain, n + i));
  }
  for (uint64_t i = n; i-- > 0;) eb.insert(eb.begin(), sample_of(*b, Split::kTrain, i));  // any read order
  for (uint64_t i = 0; i < n; ++i) ec.push_back(sample_of(*c, Split::kTrain, i));
  EXPECT_EQ(ea, eb);
  EXPECT_NE(ea, ec);
  EXPECT_NE(ea, next);
}

// Megatron's sampler: consumed + m * dp * micro + rank * micro + row. Over an epoch's
// worth of steps every sample is read exactly once, by exactly one rank.
TEST(DataGptDataset, ShardingReadsEverySampleOncePerEpoch) {
  TempDir dir;
  write_dataset(dir.path + "/d", docs_with_sizes(std::vector<int>(40, 33)));
  auto g = open_ok(spec_for(dir.path + "/d", 8));
  const uint64_t dp = 4, micro = 2, global_batch = 16, per_epoch = g->samples(Split::kTrain);
  const uint64_t steps = per_epoch / global_batch;
  ASSERT_GT(steps, 3u);
  std::set<std::vector<int>> seen;
  for (uint64_t step = 0; step < steps; ++step)
    for (uint64_t m = 0; m < global_batch / (dp * micro); ++m)
      for (uint64_t rank = 0; rank < dp; ++rank)
        for (uint64_t row = 0; row < micro; ++row) {
          const uint64_t consumed = step * global_batch;
          EXPECT_TRUE(seen.insert(sample_of(*g, Split::kTrain, consumed + m * dp * micro + rank * micro + row)).second);
        }
  EXPECT_EQ(seen.size(), steps * global_batch);
  for (uint64_t i = steps * global_batch; i < per_epoch; ++i) seen.insert(sample_of(*g, Split::kTrain, i));
  EXPECT_EQ(seen.size(), per_epoch);
}

TEST(DataGptDataset, SplitsHoldOutDocuments) {
  TempDir dir;
  write_dataset(dir.path + "/d", docs_with_sizes(std::vector<int>(10, 50)));
  DatasetSpec s = spec_for(dir.path + "/d", 8);
  s.splits[0] = 0.8, s.splits[1] = 0.1, s.splits[2] = 0.1;
  auto g = open_ok(s);
  EXPECT_EQ(g->samples(Split::kTrain), (8u * 50 - 1) / 8);
  EXPECT_EQ(g->samples(Split::kValidation), (50u - 1) / 8);
  for (uint64_t i = 0; i < 20; ++i) {
    for (int t : sample_of(*g, Split::kValidation, i)) EXPECT_EQ(t / 100, 8);
    for (int t : sample_of(*g, Split::kTest, i)) EXPECT_EQ(t / 100, 9);
    for (int t : sample_of(*g, Split::kTrain, i)) EXPECT_LT(t / 100, 8);
  }
}

TEST(DataGptDataset, BlendFollowsWeights) {
  TempDir dir;
  write_dataset(dir.path + "/a", docs_with_sizes(std::vector<int>(10, 50)));
  write_dataset(dir.path + "/b", docs_with_sizes(std::vector<int>(10, 50), 5000));
  DatasetSpec s = spec_for(dir.path + "/a", 4);
  s.prefixes = {{0.25, dir.path + "/a"}, {0.75, dir.path + "/b"}};
  auto g = open_ok(s);
  int from_a = 0;
  for (uint64_t i = 0; i < 10000; ++i) from_a += sample_of(*g, Split::kTrain, i)[0] < 5000;
  EXPECT_EQ(from_a, 2500);
  EXPECT_EQ(sample_of(*g, Split::kTrain, 9000), sample_of(*g, Split::kTrain, 9000));  // from a checkpoint, any order
}

TEST(DataGptDataset, IdsOverTheVocabularyAreRefused) {
  TempDir dir;
  write_dataset(dir.path + "/d", {{1, 2, 3, 300}, {4, 5}});
  DatasetSpec s = spec_for(dir.path + "/d", 2);
  s.vocab_size = 257;
  Problems problems;
  EXPECT_FALSE(GptDataset::open(s, &problems));
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].key, dir.path + "/d.bin");
  EXPECT_EQ(problems[0].value, "token id 300");
  EXPECT_NE(problems[0].fix.find("vocab_size is 257"), std::string::npos);
  // The sidecar's record is used (and named) when it belongs to this .bin.
  VocabRecord r;
  r.vocab_size = 32000, r.max_token_id = 31000, r.tokenizer = "sentencepiece:t.model", r.bin_bytes = 12;
  std::string error;
  ASSERT_TRUE(write_vocab_sidecar(dir.path + "/d", r, &error));
  problems.clear();
  EXPECT_FALSE(GptDataset::open(s, &problems));
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].value, "token id 31000");
  EXPECT_NE(problems[0].fix.find("sentencepiece:t.model"), std::string::npos);
  s.vocab_size = 301;  // the scan's answer when the record is for another .bin
  r.bin_bytes = 14;
  ASSERT_TRUE(write_vocab_sidecar(dir.path + "/d", r, &error));
  EXPECT_TRUE(open_ok(s));
}

TEST(DataGptDataset, TooLittleTextIsOneProblem) {
  TempDir dir;
  write_dataset(dir.path + "/d", {{1, 2, 3}});
  Problems problems;
  EXPECT_FALSE(GptDataset::open(spec_for(dir.path + "/d", 8), &problems));
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].key, "data.data_prefix");
}

TEST(DataGptDataset, ReadsNxdtDataKeys) {
  trn::config::Document doc;
  Problems problems;
  ASSERT_TRUE(trn::config::Document::parse("data:\n  data_prefix: [1, /d/a_text_document, 3, /d/b]\n"
                                           "  splits_string: 980,10,10\n",
                                           "t", &doc, &problems));
  DatasetSpec s;
  problems = read_dataset_spec(doc, 128, 32000, 9, &s);
  ASSERT_TRUE(problems.empty()) << problems[0].str();
  ASSERT_EQ(s.prefixes.size(), 2u);
  EXPECT_DOUBLE_EQ(s.prefixes[0].weight, 0.25);
  EXPECT_EQ(s.prefixes[1].path, "/d/b");
  EXPECT_DOUBLE_EQ(s.splits[0], 0.98);
  EXPECT_EQ(s.seq_length, 128);

  ASSERT_TRUE(trn::config::Document::parse("data:\n  train_dir: synthetic\n", "t", &doc, &problems));
  EXPECT_TRUE(read_dataset_spec(doc, 128, 32000, 9, &s).empty());
  EXPECT_FALSE(s.configured());

  const char* bad[] = {"data: {data_prefix: [x, /d/a]}", "data: {data_prefix: [1, /d/a, 2]}",
                       "data: {data_prefix: {train: [1, /d/a]}}", "data: {data_prefix: /d/a, splits_string: 'a,b'}",
                       "data: {data_prefix: /d/a, splits_string: '0,0,0'}"};
  for (const char* text : bad) {
    ASSERT_TRUE(trn::config::Document::parse(text, "t", &doc, &problems));
    problems = read_dataset_spec(doc, 128, 32000, 9, &s);
    ASSERT_EQ(problems.size(), 1u) << text;
    EXPECT_EQ(problems[0].key.rfind("data.", 0), 0u) << problems[0].str();
  }
}

// Issue 18: a prefix whose validation share rounds to 0 documents, in either place of the
// list, takes no part in validation; the other prefix serves every validation sample
// (it was picked anyway by the greedy step, and divided by its 0 samples: SIGFPE).
TEST(DataGptDataset, BlendSkipsAPrefixWithoutSamplesInTheSplit) {
  TempDir dir;
  write_dataset(dir.path + "/big", docs_with_sizes(std::vector<int>(20, 50)));
  write_dataset(dir.path + "/small", docs_with_sizes({50, 50, 50}, 5000));  // round(0.3) = 0 validation docs
  for (bool small_first : {false, true}) {
    DatasetSpec s = spec_for(dir.path + "/big", 4);
    s.splits[0] = 0.9, s.splits[1] = 0.1, s.splits[2] = 0;
    s.prefixes = {{0.5, dir.path + "/big"}, {0.5, dir.path + "/small"}};
    if (small_first) std::swap(s.prefixes[0], s.prefixes[1]);
    auto g = open_ok(s);
    ASSERT_TRUE(g);
    ASSERT_GT(g->samples(Split::kValidation), 0u);
    for (uint64_t i = 0; i < 200; ++i)
      for (int t : sample_of(*g, Split::kValidation, i)) ASSERT_LT(t, 5000) << "sample " << i;
    int from_small = 0;
    for (uint64_t i = 0; i < 1000; ++i) from_small += sample_of(*g, Split::kTrain, i)[0] >= 5000;
    EXPECT_EQ(from_small, 500);  // both take part in training, by their weights
  }
}

// A split without any sample is a Problem naming it and the prefixes, never a division.
TEST(DataGptDataset, EmptySplitIsAProblem) {
  TempDir dir;
  write_dataset(dir.path + "/d", docs_with_sizes({50, 50}));
  DatasetSpec s = spec_for(dir.path + "/d", 4);  // splits 1,0,0
  auto g = open_ok(s);
  ASSERT_TRUE(g);
  std::vector<int> t(5);
  const auto problem = g->sample(Split::kValidation, 3, t.data());
  ASSERT_TRUE(problem);
  EXPECT_EQ(problem->key, "data.data_prefix");
  EXPECT_NE(problem->value.find("no validation sample"), std::string::npos) << problem->str();
  EXPECT_NE(problem->value.find(dir.path + "/d: 0"), std::string::npos) << problem->str();
  EXPECT_NE(problem->fix.find("data.splits_string"), std::string::npos) << problem->str();
}

// Weights whose sum overflows (1e308 + 1e308 = inf) are still shares; a weight that is
// not a positive finite number, or one too small to ever be sampled, is refused.
TEST(DataGptDataset, WeightsThatOverflowAreStillShares) {
  trn::config::Document doc;
  Problems problems;
  ASSERT_TRUE(trn::config::Document::parse("data:\n  data_prefix: [1e308, /d/a, 1e308, /d/b]\n"
                                           "  splits_string: 1e308,1e308,0\n",
                                           "t", &doc, &problems));
  DatasetSpec s;
  problems = read_dataset_spec(doc, 8, 300, 1, &s);
  ASSERT_TRUE(problems.empty()) << problems[0].str();
  EXPECT_DOUBLE_EQ(s.prefixes[0].weight, 0.5);
  EXPECT_DOUBLE_EQ(s.prefixes[1].weight, 0.5);
  EXPECT_DOUBLE_EQ(s.splits[0], 0.5);
  EXPECT_DOUBLE_EQ(s.splits[1], 0.5);
  ASSERT_TRUE(trn::config::Document::parse("data: {data_prefix: [1e-300, /d/a, 1e300, /d/b]}", "t", &doc, &problems));
  problems = read_dataset_spec(doc, 8, 300, 1, &s);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].key, "data.data_prefix[0]");

  TempDir dir;
  write_dataset(dir.path + "/d", docs_with_sizes({50, 50}));
  for (double bad : {std::numeric_limits<double>::infinity(), std::nan(""), 0.0, -1.0}) {
    DatasetSpec spec = spec_for(dir.path + "/d", 4);
    spec.prefixes = {{bad, dir.path + "/d"}, {1.0, dir.path + "/d"}};
    problems.clear();
    EXPECT_FALSE(GptDataset::open(spec, &problems));
    ASSERT_EQ(problems.size(), 1u) << bad;
    EXPECT_EQ(problems[0].key, "data.data_prefix");
  }
}

// Issue 18: a vocab.json believed on the .bin's length alone let ids past the vocabulary
// through. An old record (no idx_sha256) and a record of another index of the same size
// are not believed: the ids are scanned and the dataset refused.
TEST(DataGptDataset, SidecarOfAnotherIndexIsNotBelieved) {
  TempDir dir;
  const std::string p = dir.path + "/d";
  write_dataset(p, {{1, 2}, {300, 4}});
  DatasetSpec s = spec_for(p, 2);
  s.vocab_size = 257;
  std::string error;
  ASSERT_TRUE(write_file_atomic(p + ".vocab.json",
                                "{\"vocab_size\": 257, \"max_token_id\": 200, \"tokenizer\": \"byte\", \"bin_bytes\": 8}",
                                0644, &error));
  Problems problems;
  EXPECT_FALSE(GptDataset::open(s, &problems));
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].value, "token id 300");

  write_dataset(p, {{1, 2, 3, 4}});  // 8 bytes too: the record below is for this index
  VocabRecord r;
  r.vocab_size = 257, r.max_token_id = 4, r.tokenizer = "byte", r.bin_bytes = 8;
  ASSERT_TRUE(write_vocab_sidecar(p, r, &error)) << error;
  EXPECT_TRUE(open_ok(s));
  write_dataset(p, {{1, 2}, {300, 4}});  // re-tokenized, same length, the record left behind
  problems.clear();
  EXPECT_FALSE(GptDataset::open(s, &problems));
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].value, "token id 300");
}

// An i64 id of 2^32 + 5 is not 5: it cannot be an int, so it is refused even unchecked.
TEST(DataGptDataset, WideIdsAreNotTruncated) {
  TempDir dir;
  const std::string p = dir.path + "/d";
  IndexedDatasetWriter w(p, DType::kI64);
  std::string error;
  ASSERT_TRUE(w.start(&error));
  const int ids[] = {1, 2, 3};
  ASSERT_TRUE(w.add_document(ids, 3, &error));
  ASSERT_TRUE(w.finish(&error));
  std::string bin;
  ASSERT_TRUE(read_file(p + ".bin", &bin));
  const int64_t wide = (int64_t{1} << 32) + 5;
  bin.replace(8, 8, reinterpret_cast<const char*>(&wide), 8);
  ASSERT_TRUE(write_file_atomic(p + ".bin", bin, 0644, &error));
  DatasetSpec s = spec_for(p, 2);
  s.vocab_size = 0;  // not checked: only what an int holds
  Problems problems;
  EXPECT_FALSE(GptDataset::open(s, &problems));
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].value, "token id " + std::to_string(wide));
}

// Issue 18: the ids are checked where they are read, so a .bin rewritten in place under a
// run (same length, the checks at open passed) never hands the model an id it does not have.
TEST(DataGptDataset, IdsRewrittenUnderARunAreAProblem) {
  TempDir dir;
  const std::string p = dir.path + "/d";
  write_dataset(p, {{1, 2, 3, 4, 5, 6, 7, 8}});
  DatasetSpec s = spec_for(p, 7);
  s.vocab_size = 257;
  auto g = open_ok(s);
  ASSERT_TRUE(g);
  const int fd = ::open((p + ".bin").c_str(), O_WRONLY);
  ASSERT_GE(fd, 0);
  const uint16_t big = 300;
  ASSERT_EQ(::pwrite(fd, &big, 2, 6), 2);
  ::close(fd);
  std::vector<int> t(8, -1);
  const auto problem = g->sample(Split::kTrain, 0, t.data());
  ASSERT_TRUE(problem) << "read id " << t[3];
  EXPECT_EQ(problem->key, p + ".bin");
  EXPECT_EQ(problem->value, "token id 300");
  EXPECT_NE(problem->fix.find("vocab_size 257"), std::string::npos) << problem->str();
}

// Issue 18: a .bin truncated under a running trainer is a Problem ("shrank"), not SIGBUS
// (Megatron, which maps it, dies of SIGBUS here).
TEST(DataGptDataset, BinThatShrinksUnderARunIsAProblem) {
  TempDir dir;
  const std::string p = dir.path + "/d";
  write_dataset(p, docs_with_sizes(std::vector<int>(8, 4000)));  // 64 KB: several pages
  auto g = open_ok(spec_for(p, 16));
  ASSERT_TRUE(g);
  ASSERT_EQ(::truncate((p + ".bin").c_str(), 0), 0);
  std::vector<int> t(17);
  const auto problem = g->sample(Split::kTrain, 100, t.data());
  ASSERT_TRUE(problem);
  EXPECT_EQ(problem->key, p + ".bin");
  EXPECT_EQ(problem->value, "0 bytes");
  EXPECT_NE(problem->fix.find("shrank"), std::string::npos) << problem->str();
}

}  // namespace
}  // namespace trn::data
