// Issue 17, item 8: a warning about a node's own settings that several nodes share is
// printed once per job, naming the nodes as a host list (launcher/commands/node_warnings.h).
#include <gtest/gtest.h>

#include <stdlib.h>

#include "common/fs.h"
#include "launcher/commands/node_warnings.h"

namespace trn {
namespace {

TEST(NodeWarnings, EachLineOnceWithItsNodesAsAHostList) {
  const auto out = group_node_warnings({{"trn1-st-trn1-1", {"limit 1024"}},
                                        {"trn1-st-trn1-2", {"limit 1024"}},
                                        {"trn1-st-trn1-3", {}},
                                        {"trn1-st-trn1-4", {"limit 1024", "other"}}});
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0], "nodes trn1-st-trn1-[1-2,4]: limit 1024");
  EXPECT_EQ(out[1], "node trn1-st-trn1-4: other");
  EXPECT_TRUE(group_node_warnings({{"a", {}}, {"b", {}}}).empty());
}

// Every node leaves its lines in the restart's folder; node 0 reads them all, whoever
// wrote first, and a node that never writes only costs node 0 the bounded wait.
TEST(NodeWarnings, NodeZeroGathersEveryNodesLines) {
  char dir[] = "/tmp/trn-node-warnings-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  const std::string d = std::string(dir) + "/node-warnings";
  EXPECT_TRUE(gather_node_warnings(d, 2, 3, "n3", {"limit 1024"}, 0).empty());  // not node 0: prints nothing
  EXPECT_TRUE(gather_node_warnings(d, 1, 3, "n2", {"limit 1024"}, 0).empty());
  EXPECT_EQ(gather_node_warnings(d, 0, 3, "n1", {}, 1000), std::vector<std::string>{"nodes n[2-3]: limit 1024"});
  EXPECT_EQ(gather_node_warnings(std::string(dir) + "/alone", 0, 2, "n1", {"x"}, 100),
            std::vector<std::string>{"node n1: x"});  // node 1 never came: its own log has its lines
  remove_tree(dir);
}

}  // namespace
}  // namespace trn
