// The one verdict on input before training (issue 18): what rank 0 prints when some
// ranks have problems, and the text a rank's problems travel in.
#include <gtest/gtest.h>

#include "trainer/mpi/input_verdict.h"

namespace {

using namespace trn::native;

const trn::Problem kMissing{"data.data_prefix", "[/data/corpus]", "cannot open /data/corpus.idx"};
const trn::Problem kBadKey{"trainer.max_step", "3", "no such key"};

TEST(InputVerdict, AProblemOfSomeRanksNamesThemAndTheirNodes) {
  const std::vector<RankProblems> ranks{
      {"node-a", {}}, {"node-a", {kMissing}}, {"node-b", {kMissing}}, {"node-b", {kMissing}}, {"node-c", {}}};
  const trn::Problems out = verdict_problems(ranks);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].str(), "ranks 1-3 on node-a, node-b: " + kMissing.str());
}

TEST(InputVerdict, OneRankAloneIsNamedWithItsNode) {
  const trn::Problems out = verdict_problems({{"node-a", {}}, {"node-b", {kMissing, kBadKey}}});
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].str(), "rank 1 on node-b: " + kMissing.str());
  EXPECT_EQ(out[1].str(), "rank 1 on node-b: " + kBadKey.str());
}

TEST(InputVerdict, AProblemOfEveryRankIsPrintedOnceAsItIs) {
  const trn::Problems out =
      verdict_problems({{"node-a", {kBadKey}}, {"node-a", {kBadKey, kMissing}}, {"node-b", {kBadKey}}});
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].str(), kBadKey.str());
  EXPECT_EQ(out[1].str(), "rank 1 on node-a: " + kMissing.str());
  // A world of one: never a rank prefix (the messages of a single process stay as they were).
  EXPECT_EQ(verdict_problems({{"node-a", {kMissing}}}).at(0).str(), kMissing.str());
}

TEST(InputVerdict, RanksAreListedAsRanges) {
  std::vector<RankProblems> ranks(8, RankProblems{"n", {}});
  for (int r : {0, 1, 2, 4, 6, 7}) ranks[r].problems = {kMissing};
  EXPECT_EQ(verdict_problems(ranks).at(0).key, "ranks 0-2, 4, 6-7 on n: data.data_prefix");
}

TEST(InputVerdict, ProblemsTravelAsTextAndBack) {
  const RankProblems sent{"node-\"b\"", {kMissing, {"key", "value with\nnewline", "fix: ü"}}};
  RankProblems got;
  ASSERT_TRUE(parse_rank_problems(rank_problems_text(sent), &got));
  EXPECT_EQ(got.node, sent.node);
  ASSERT_EQ(got.problems.size(), 2u);
  EXPECT_EQ(got.problems[1].str(), sent.problems[1].str());
  for (const char* bad : {"", "{", "[]", R"({"node":1,"problems":[]})", R"({"node":"a","problems":[["k","v"]]})"})
    EXPECT_FALSE(parse_rank_problems(bad, &got)) << bad;
}

}  // namespace
