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

// The native engine's MPI test prints one line per pair it leads (trainer/mpi/pair_bandwidth.h);
// preflight reads it back: the one format of common/node_pairs.h, both ways.
TEST(Collective, PairResultLineRoundTripsAndRefusesOtherLines) {
  const std::string line = pair_result_line({1, {3, 0}, 12.5, false});
  EXPECT_EQ(line, "pair 1 3 0 busbw 12.5000");
  PairLine got;
  ASSERT_TRUE(parse_pair_result_line(line, &got));
  EXPECT_EQ(got.round, 1u);
  EXPECT_EQ(got.pair.a, 3);
  EXPECT_EQ(got.pair.b, 0);
  EXPECT_DOUBLE_EQ(got.busbw, 12.5);
  EXPECT_FALSE(got.one_machine);
  ASSERT_TRUE(parse_pair_result_line(pair_result_line({0, {0, 1}, 0.25, true}), &got));
  EXPECT_TRUE(got.one_machine);
  EXPECT_DOUBLE_EQ(got.busbw, 0.25);
  for (const char* other : {"pair 1 3 0 busbw", "pair 1 3 0 busbw 12.5 GB/s", "native: warning", "pair 1 3 0 busbw -1",
                            "pair 1 3 0 busbw 2 one-machine x", ""})
    EXPECT_FALSE(parse_pair_result_line(other, &got)) << other;
}

const std::vector<std::string> kHosts{"n1", "n2", "n3", "n4"};

PairResult ran(int a, int b, double busbw) { return {{a, b}, true, busbw, ""}; }

TEST(Collective, NamesTheNodeSlowInEveryPair) {
  const auto v = judge_pairs({ran(0, 1, 47), ran(2, 3, 12), ran(1, 2, 46), ran(3, 0, 11)}, kHosts, "all-reduce");
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.slow_nodes, std::vector<std::string>{"n4"});
  EXPECT_EQ(v.lines.at(1), "collective: n3+n4 all-reduce busbw 12.00 GB/s, below 80% of the fastest pair's 47.00 GB/s SLOW");
  EXPECT_EQ(v.lines.size(), 4u) << "no link line: the slow pairs are explained by n4";
}

TEST(Collective, ASlowPairBetweenFastNodesIsTheirLink) {
  const auto v = judge_pairs({ran(0, 1, 47), ran(2, 3, 47), ran(1, 2, 10), ran(3, 0, 46)}, kHosts, "all-reduce");
  EXPECT_FALSE(v.ok);
  EXPECT_TRUE(v.slow_nodes.empty());
  EXPECT_EQ(v.lines.back(), "collective: the link between n2 and n3 is slow (both are fast elsewhere)");
}

TEST(Collective, FailedOrMissingPairsAreSlowAndHealthyPairsPass) {
  EXPECT_TRUE(judge_pairs({ran(0, 1, 47), ran(2, 3, 45), ran(1, 2, 46), ran(3, 0, 44)}, kHosts, "all-reduce").ok);
  PairResult failed{{0, 1}, true, 0, "1 errors found - test failed"};
  PairResult missing{{1, 2}, false, 0, ""};
  const auto v = judge_pairs({failed, ran(2, 3, 47), missing, ran(3, 0, 47)}, kHosts, "all-reduce");
  EXPECT_EQ(v.slow_nodes, std::vector<std::string>{"n2"});
  EXPECT_EQ(v.lines.at(0), "collective: n1+n2 all-reduce busbw failed: 1 errors found - test failed SLOW");
  EXPECT_EQ(v.lines.at(2), "collective: n2+n3 all-reduce busbw no result SLOW");
}

// Pairs whose two nodes are one machine (the local cluster) measured a memory copy, not
// a link: their figures are shown, never judged against the others.
TEST(Collective, OneMachinePairsAreShownNotJudged) {
  PairResult same{{2, 3}, true, 0.10, "", true};
  const auto v = judge_pairs({ran(0, 1, 47), same, ran(1, 2, 46), ran(3, 0, 45)}, kHosts, "MPI all-reduce");
  EXPECT_TRUE(v.ok);
  EXPECT_EQ(v.lines.at(1),
            "collective: n3+n4 MPI all-reduce busbw 0.10 GB/s (both nodes on one machine: not judged)");
}

// A test that failed on every pair (MPI not started in the step, the program missing)
// says so and names no node: excluding them all would help nobody.
TEST(Collective, EveryPairFailedNamesNoNode) {
  PairResult failed{{0, 1}, true, 0, "exit 1: Local abort before MPI_INIT completed"};
  PairResult also{{2, 3}, true, 0, "exit 1: Local abort before MPI_INIT completed"};
  const auto v = judge_pairs({failed, also}, kHosts, "MPI all-reduce");
  EXPECT_FALSE(v.ok);
  EXPECT_TRUE(v.none_ran);
  EXPECT_TRUE(v.slow_nodes.empty());
  EXPECT_EQ(v.lines.at(0),
            "collective: n1+n2 MPI all-reduce busbw failed: exit 1: Local abort before MPI_INIT completed SLOW");
}

}  // namespace
}  // namespace trn
