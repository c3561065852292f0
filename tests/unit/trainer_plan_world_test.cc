// The MPI world against the launcher's plan (WORLD_SIZE, RANK): srun without PMIx
// gives every task a world of one, which must be refused, not trained on.
#include <gtest/gtest.h>

#include "trainer/plan_world.h"

namespace {

using trn::native::plan_world_problems;
using std::nullopt;

TEST(PlanWorld, MatchingOrUnsetIsFine) {
  EXPECT_TRUE(plan_world_problems("4", "2", 4, 2).empty());
  EXPECT_TRUE(plan_world_problems("4", nullopt, 4, 3).empty());  // a per-node launch sets no RANK
  EXPECT_TRUE(plan_world_problems(nullopt, nullopt, 1, 0).empty());  // started by hand
  EXPECT_TRUE(plan_world_problems("", "", 2, 1).empty());
}

TEST(PlanWorld, WorldOfOneUnderAPlanOfFourNamesBothValuesAndPmix) {
  const trn::Problems p = plan_world_problems("4", "3", 1, 0);
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[0].str(),
            "WORLD_SIZE = 4 (the plan's; MPI's world size is 1): the tasks did not join one MPI world: start the "
            "tasks with PMIx: srun --mpi=pmix, or set MpiDefault=pmix in slurm.conf");
  EXPECT_EQ(p[1].key, "RANK");
  EXPECT_EQ(p[1].value, "3 (the plan's; MPI's rank is 0)");
}

TEST(PlanWorld, RankAloneCanDiffer) {
  const trn::Problems p = plan_world_problems("2", "0", 2, 1);
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].value, "0 (the plan's; MPI's rank is 1)");
}

TEST(PlanWorld, MalformedValuesAreProblems) {
  for (const char* bad : {"four", "4x", " 4", "-1", "+4", "99999999999999999999"}) {
    const trn::Problems p = plan_world_problems(bad, nullopt, 4, 0);
    ASSERT_EQ(p.size(), 1u) << bad;
    EXPECT_EQ(p[0].key, "WORLD_SIZE");
    EXPECT_EQ(p[0].value, bad);
    EXPECT_NE(p[0].fix.find("must be a whole number"), std::string::npos) << p[0].fix;
  }
  const trn::Problems p = plan_world_problems("1", "zero", 1, 0);
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].key, "RANK");
}

}  // namespace
