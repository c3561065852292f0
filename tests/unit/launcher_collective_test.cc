// Issue 22: `trn-train preflight --collective`'s pure parts: the pair rounds, nccom-test's
// bus bandwidth line, and the verdict that names a slow node (slow in every pair it was
// in) or a slow link (one slow pair between nodes fast elsewhere).
#include <gtest/gtest.h>

#include "launcher/preflight/collective_checks.h"

namespace trn {
namespace {

std::string text(const std::vector<std::vector<NodePair>>& rounds) {
  std::string s;
  for (const auto& r : rounds) {
    s += "|";
    for (const auto& p : r) s += " " + std::to_string(p.a) + "+" + std::to_string(p.b);
  }
  return s;
}

TEST(Collective, PairRoundsPutEveryNodeInTwoPairsWithDifferentPartners) {
  EXPECT_EQ(text(pair_rounds(1)), "");
  EXPECT_EQ(text(pair_rounds(2)), "| 0+1");
  EXPECT_EQ(text(pair_rounds(3)), "| 0+1| 1+2");
  EXPECT_EQ(text(pair_rounds(4)), "| 0+1 2+3| 1+2 3+0");
  EXPECT_EQ(text(pair_rounds(5)), "| 0+1 2+3| 1+2 3+4");
}

TEST(Collective, ParsesNccomTestBusBandwidth) {
  double v = 0;
  ASSERT_TRUE(parse_nccom_busbw("     size(B) ...\n 33554432 33554432 uint8 768 40.69 40.69\n"
                                "Avg bus bandwidth:      40.6901GB/s\n", &v));
  EXPECT_DOUBLE_EQ(v, 40.6901);
  EXPECT_FALSE(parse_nccom_busbw("33554432    Failure running neuron-bench - log file /tmp/x.log\n"
                                 "1 errors found - test failed\n", &v));
}

const std::vector<std::string> kHosts{"n1", "n2", "n3", "n4"};

PairResult ran(int a, int b, double busbw) { return {{a, b}, true, busbw, ""}; }

TEST(Collective, NamesTheNodeSlowInEveryPair) {
  const auto v = judge_pairs({ran(0, 1, 47), ran(2, 3, 12), ran(1, 2, 46), ran(3, 0, 11)}, kHosts);
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.slow_nodes, std::vector<std::string>{"n4"});
  EXPECT_EQ(v.lines.at(1), "collective: n3+n4 all-reduce busbw 12.00 GB/s, below 80% of the fastest pair's 47.00 GB/s SLOW");
  EXPECT_EQ(v.lines.size(), 4u) << "no link line: the slow pairs are explained by n4";
}

TEST(Collective, ASlowPairBetweenFastNodesIsTheirLink) {
  const auto v = judge_pairs({ran(0, 1, 47), ran(2, 3, 47), ran(1, 2, 10), ran(3, 0, 46)}, kHosts);
  EXPECT_FALSE(v.ok);
  EXPECT_TRUE(v.slow_nodes.empty());
  EXPECT_EQ(v.lines.back(), "collective: the link between n2 and n3 is slow (both are fast elsewhere)");
}

TEST(Collective, FailedOrMissingPairsAreSlowAndHealthyPairsPass) {
  EXPECT_TRUE(judge_pairs({ran(0, 1, 47), ran(2, 3, 45), ran(1, 2, 46), ran(3, 0, 44)}, kHosts).ok);
  PairResult failed{{0, 1}, true, 0, "1 errors found - test failed"};
  PairResult missing{{1, 2}, false, 0, ""};
  const auto v = judge_pairs({failed, ran(2, 3, 47), missing, ran(3, 0, 47)}, kHosts);
  EXPECT_EQ(v.slow_nodes, std::vector<std::string>{"n2"});
  EXPECT_EQ(v.lines.at(0), "collective: n1+n2 all-reduce busbw failed: 1 errors found - test failed SLOW");
  EXPECT_EQ(v.lines.at(2), "collective: n2+n3 all-reduce busbw no result SLOW");
}

}  // namespace
}  // namespace trn
