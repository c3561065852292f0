// Hostlist and tasks-per-node parsing against `scontrol show hostnames`.
//
// The kScontrolTable rows were produced by running `scontrol show hostnames '<expr>'`
// (Slurm on this build host, with a throwaway slurm.conf) and pasting its output:
// ok=false means scontrol printed "Invalid hostlist". Re-generate with
// tests/unit/gen_hostlist_table.sh when Slurm's grammar changes.
#include "common/hostlist.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {
// The list forms the tests compare against (scontrol show hostnames, per-node counts).
bool expand_hostlist(std::string_view expr, std::vector<std::string>* hosts, std::string* error) {
  trn::HostList list;
  const bool ok = list.parse(expr, error);
  *hosts = ok ? list.expand() : std::vector<std::string>{};
  return ok;
}
bool expand_tasks_per_node(std::string_view expr, std::vector<int>* counts, std::string* error) {
  size_t nodes = 0;
  int count = 0;
  counts->clear();
  if (!trn::tasks_on_node(expr, 0, &count, &nodes, error)) return false;
  for (size_t i = 0; i < nodes; ++i) {
    trn::tasks_on_node(expr, i, &count, &nodes, error);
    counts->push_back(count);
  }
  return true;
}
}  // namespace

namespace {

struct Row {
  const char* expr;
  bool ok;
  std::vector<std::string> hosts;
};

const std::vector<Row> kScontrolTable = {
    {"trn1-st-trn1-[1-4]", true, {"trn1-st-trn1-1", "trn1-st-trn1-2", "trn1-st-trn1-3", "trn1-st-trn1-4"}},
    {"a[1-3]", true, {"a1", "a2", "a3"}},
    {"n[001-003]", true, {"n001", "n002", "n003"}},
    {"n[9-11]", true, {"n9", "n10", "n11"}},
    {"n[1-2,5]", true, {"n1", "n2", "n5"}},
    {"n[099-101]", true, {"n099", "n100", "n101"}},
    {"a[01-3]", true, {"a01", "a02", "a03"}},
    {"a[1-03]", true, {"a1", "a2", "a3"}},
    {"a[0001-10]", true, {"a0001", "a0002", "a0003", "a0004", "a0005", "a0006", "a0007", "a0008", "a0009", "a0010"}},
    {"a[5]", true, {"a5"}},
    {"a[05]", true, {"a05"}},
    {"a[0-0]", true, {"a0"}},
    {"r[1-2]-n[01-02]", true, {"r1-n01", "r1-n02", "r2-n01", "r2-n02"}},
    {"a[1-2][3-4]", true, {"a13", "a14", "a23", "a24"}},
    {"a[1-2]b[3]", true, {"a1b3", "a2b3"}},
    {"a[1-2]b[3-4]c[5-6]", true, {"a1b3c5", "a1b3c6", "a2b3c5", "a2b3c6", "a1b4c5", "a1b4c6", "a2b4c5", "a2b4c6"}},
    {"a[1-2]b[3-4]c[5-6]d[7-8]", true, {"a1b3c5d7", "a1b3c5d8", "a2b3c5d7", "a2b3c5d8", "a1b4c5d7", "a1b4c5d8", "a2b4c5d7", "a2b4c5d8", "a1b3c6d7", "a1b3c6d8", "a2b3c6d7", "a2b3c6d8", "a1b4c6d7", "a1b4c6d8", "a2b4c6d7", "a2b4c6d8"}},
    {"a,b,a", true, {"a", "b", "a"}},
    {"a[1-2],a[1-2]", true, {"a1", "a2", "a1", "a2"}},
    {"a[1-2,2]", true, {"a1", "a2", "a2"}},
    {"a b", true, {"a", "b"}},
    {"a,,b", true, {"a", "b"}},
    {"", true, {}},
    {",", true, {}},
    {" a", true, {"a"}},
    {"a[1-2] ", true, {"a1", "a2"}},
    {"[1-2]", true, {"1", "2"}},
    {"a[1-2],[3]", true, {"a1", "a2", "3"}},
    {"a[1-2],b[01-02]", true, {"a1", "a2", "b01", "b02"}},
    {"a1-2", true, {"a1-2"}},
    {"a[ 1-2]", true, {"a01", "a02"}},
    {"a[+1]", true, {"a01"}},
    {"a[1- 3]", true, {"a1", "a2", "a3"}},
    {"a[1b-3]", true, {"a01", "a02", "a03"}},
    {"a[4294967296-4294967297]", true, {"a4294967296", "a4294967297"}},
    {"trn1-st-trn1-[1-4],trn2-st-trn2-[1-2]", true, {"trn1-st-trn1-1", "trn1-st-trn1-2", "trn1-st-trn1-3", "trn1-st-trn1-4", "trn2-st-trn2-1", "trn2-st-trn2-2"}},
    {"ip-10-0-[1-2]-[10-11]", true, {"ip-10-0-1-10", "ip-10-0-1-11", "ip-10-0-2-10", "ip-10-0-2-11"}},
    {"a[1-2]-eth", false, {}},
    {"a[1-2].b", false, {}},
    {"a[1-2]b[3-4]c", false, {}},
    {"a[1-2]b,c", false, {}},
    {"a[1-2]]", false, {}},
    {"a[[1]]", false, {}},
    {"a[3-1]", false, {}},
    {"a[x]", false, {}},
    {"a[1x2]", false, {}},
    {"a[]", false, {}},
    {"a[1--2]", false, {}},
    {"a[-1]", false, {}},
    {"a[1,]", false, {}},
    {"a[,1]", false, {}},
    {"a[1b]", false, {}},
    {"a[1+2]", false, {}},
    {"a[1-3-5]", false, {}},
    {"a[b-c]", false, {}},
    {"a[1-b]", false, {}},
    {"a[0-65536]", false, {}},
    {"n[a]x[1-2]", false, {}},
    {"n[1-2]x[a]", false, {}},
    {"a[1-2]b[]", false, {}},
    {"[]", false, {}},
    {"a[2-1]b[1]", false, {}},
};

TEST(Hostlist, MatchesScontrolTable) {
  for (const Row& row : kScontrolTable) {
    std::vector<std::string> hosts;
    std::string error;
    const bool ok = expand_hostlist(row.expr, &hosts, &error);
    EXPECT_EQ(ok, row.ok) << "expr '" << row.expr << "' error: " << error;
    if (row.ok && ok) {
      EXPECT_EQ(hosts, row.hosts) << "expr '" << row.expr << "'";
    }
    if (!row.ok) {
      EXPECT_NE(error.find(row.expr), std::string::npos) << "error must quote the expression: " << error;
    }
  }
}

// The lazy HostList names every host exactly as the full expansion does, at any index.
TEST(Hostlist, LazyHostListAgreesWithExpansion) {
  for (const Row& row : kScontrolTable) {
    trn::HostList list;
    std::string error;
    ASSERT_EQ(list.parse(row.expr, &error), row.ok) << row.expr << ": " << error;
    if (!row.ok) continue;
    ASSERT_EQ(list.size(), row.hosts.size()) << row.expr;
    for (size_t i = 0; i < list.size(); ++i) EXPECT_EQ(list.at(i), row.hosts[i]) << row.expr << " at " << i;
  }
  trn::HostList big;
  ASSERT_TRUE(big.parse("trn1-st-trn1-[0001-4096],head", nullptr));
  EXPECT_EQ(big.size(), 4097u);
  EXPECT_EQ(big.front(), "trn1-st-trn1-0001");
  EXPECT_EQ(big.at(4095), "trn1-st-trn1-4096");
  EXPECT_EQ(big.at(4096), "head");
  const trn::HostList given = trn::HostList::of({"x", "y"});
  EXPECT_EQ(given.size(), 2u);
  EXPECT_EQ(given.at(1), "y");
  EXPECT_EQ(given.expand(), (std::vector<std::string>{"x", "y"}));
}

// scontrol "repairs" unbalanced brackets into host names such as "a]" (e.g.
// `a[1-2` -> `a]`, `a[1,2,b` -> `a] 2 b`); we refuse them with a clear error instead.
TEST(Hostlist, RefusesWhatScontrolSilentlyRepairs) {
  for (const char* expr : {"a[1-2", "a[1", "a[1,2,b", "a]", "a],b", "a[[1,2]", "a[1,[2],3]", "[", "]"}) {
    std::vector<std::string> hosts;
    std::string error;
    EXPECT_FALSE(expand_hostlist(expr, &hosts, &error)) << expr;
    EXPECT_NE(error.find('\''), std::string::npos) << error;
  }
}

TEST(Hostlist, MaxRangeIs64K) {
  std::vector<std::string> hosts;
  std::string error;
  ASSERT_TRUE(expand_hostlist("a[0-65535]", &hosts, &error)) << error;
  EXPECT_EQ(hosts.size(), 65536u);
  EXPECT_EQ(hosts.back(), "a65535");
  EXPECT_FALSE(expand_hostlist("a[0-65536]", &hosts, &error));
  EXPECT_NE(error.find("65536"), std::string::npos) << error;
}

TEST(Hostlist, ThreeGroupOrderLikeSlurm) {
  // scontrol: x0y0z1 x1y0z1 ... (y outermost, then x, then the last group z)
  std::vector<std::string> hosts;
  std::string error;
  ASSERT_TRUE(expand_hostlist("x[0-2]y[0-1]z[1]", &hosts, &error)) << error;
  const std::vector<std::string> want = {"x0y0z1", "x1y0z1", "x2y0z1", "x0y1z1", "x1y1z1", "x2y1z1"};
  EXPECT_EQ(hosts, want);
}

TEST(Hostlist, Large4096NodeList) {
  std::vector<std::string> hosts;
  std::string error;
  ASSERT_TRUE(expand_hostlist("trn1-st-trn1-[0001-2048],trn2-st-trn2-[1-2048]", &hosts, &error));
  ASSERT_EQ(hosts.size(), 4096u);
  EXPECT_EQ(hosts[0], "trn1-st-trn1-0001");
  EXPECT_EQ(hosts[2048], "trn2-st-trn2-1");
  EXPECT_EQ(hosts[4095], "trn2-st-trn2-2048");
}

TEST(TasksPerNode, RunLengthEncoding) {
  std::vector<int> counts;
  std::string error;
  ASSERT_TRUE(expand_tasks_per_node("32(x16),16", &counts, &error)) << error;
  ASSERT_EQ(counts.size(), 17u);
  EXPECT_EQ(counts[0], 32);
  EXPECT_EQ(counts[15], 32);
  EXPECT_EQ(counts[16], 16);
  ASSERT_TRUE(expand_tasks_per_node("2(x3),1", &counts, &error));
  EXPECT_EQ(counts, (std::vector<int>{2, 2, 2, 1}));
  ASSERT_TRUE(expand_tasks_per_node("1", &counts, &error));
  EXPECT_EQ(counts, (std::vector<int>{1}));
  ASSERT_TRUE(expand_tasks_per_node("72(x2),36", &counts, &error));
  EXPECT_EQ(counts, (std::vector<int>{72, 72, 36}));
}

TEST(TasksPerNode, Malformed) {
  for (const char* expr : {"", "x", "2(x)", "2(3)", "2(x3", "2x3", "(x3)", "2(x0)", "2,,1", "2,", "-1", "2(x-1)", "1 ,2"}) {
    std::vector<int> counts;
    std::string error;
    EXPECT_FALSE(expand_tasks_per_node(expr, &counts, &error)) << expr;
    EXPECT_NE(error.find("COUNT(xREPEAT)"), std::string::npos) << error;
  }
}

TEST(HostListCompress, ExpandsBackToTheSameNames) {
  const std::vector<std::vector<std::string>> cases{
      {"trn1-st-trn1-1", "trn1-st-trn1-2", "trn1-st-trn1-4", "trn2-st-trn2-1"},
      {"node01", "node02", "node03", "node10"},
      {"a9", "a10", "a11", "head", "b"},
      {"x5"}};
  for (const auto& names : cases) {
    const std::string list = trn::compress_hostlist(names);
    trn::HostList h;
    std::string error;
    ASSERT_TRUE(h.parse(list, &error)) << list << ": " << error;
    EXPECT_EQ(h.expand(), names) << list;
  }
  EXPECT_EQ(trn::compress_hostlist(cases[0]), "trn1-st-trn1-[1-2,4],trn2-st-trn2-1");
  EXPECT_EQ(trn::compress_hostlist(cases[1]), "node[01-03],node10");  // padded and unpadded apart: still exact
}

}  // namespace

TEST(TasksPerNode, OneNodeWithoutExpanding) {
  int count = -1;
  size_t nodes = 0;
  std::string error;
  ASSERT_TRUE(trn::tasks_on_node("32(x16),16", 15, &count, &nodes, &error)) << error;
  EXPECT_EQ(count, 32);
  EXPECT_EQ(nodes, 17u);
  ASSERT_TRUE(trn::tasks_on_node("32(x16),16", 16, &count, &nodes, &error));
  EXPECT_EQ(count, 16);
  ASSERT_TRUE(trn::tasks_on_node("2(x3),1", 9, &count, &nodes, &error));
  EXPECT_EQ(count, 0);  // past the end
  EXPECT_EQ(nodes, 4u);
  EXPECT_FALSE(trn::tasks_on_node("2(x0)", 0, &count, &nodes, &error));
  EXPECT_NE(error.find("malformed"), std::string::npos);
}

