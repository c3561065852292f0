// Issue 19 "What to build" 2: the sbatch flags that keep a job in whole UltraServers
// (launcher/plan/ultraserver.h). The generation is tested, not Slurm's scheduling
// (Debian's Slurm 22.05 has no topology/block segments).
#include <gtest/gtest.h>

#include "launcher/plan/instance_catalog.h"
#include "launcher/plan/ultraserver.h"

namespace trn {
namespace {

const InstanceCatalog& catalog() {
  static const InstanceCatalog c = load_instance_catalog("conf/instances.yaml");
  return c;
}
const InstanceType& type(const char* name) { return *catalog().find(name); }

const SlurmVersion kDebian{22, 5}, k2405{24, 5}, k2511{25, 11};

TEST(UltraServer, SlurmVersionText) {
  SlurmVersion v;
  ASSERT_TRUE(parse_slurm_version("22.05.8", &v));
  EXPECT_EQ(v.major, 22);
  EXPECT_EQ(v.minor, 5);
  ASSERT_TRUE(parse_slurm_version("slurm 24.11.3", &v));
  EXPECT_EQ(v.major, 24);
  EXPECT_EQ(v.minor, 11);
  EXPECT_FALSE(parse_slurm_version("slurm", &v));
  EXPECT_FALSE(parse_slurm_version("", &v));
}

TEST(UltraServer, WholeUltraServersOnNewSlurm) {
  EXPECT_EQ(ultraserver_allocation(type("trn2u.48xlarge"), 8, k2405).sbatch_flags,
            std::vector<std::string>{"--segment=4"});
  EXPECT_EQ(ultraserver_allocation(type("trn3-gen2"), 72, k2511).sbatch_flags,
            std::vector<std::string>{"--segment=36"});
  EXPECT_EQ(ultraserver_allocation(type("trn3-gen1"), 3, k2405).sbatch_flags,
            std::vector<std::string>{"--segment=3"});  // fewer nodes than one UltraServer: all in one
  EXPECT_TRUE(ultraserver_allocation(type("trn3-gen1"), 4, k2405).notes.empty());
}

TEST(UltraServer, NothingForOtherTypesOrOneNode) {
  for (const char* name : {"trn1.32xlarge", "trn2.48xlarge", "cpu"}) {
    const auto a = ultraserver_allocation(type(name), 8, k2405);
    EXPECT_TRUE(a.sbatch_flags.empty() && a.notes.empty()) << name;
  }
  const auto one = ultraserver_allocation(type("trn2u.48xlarge"), 1, kDebian);
  EXPECT_TRUE(one.sbatch_flags.empty() && one.notes.empty());
}

TEST(UltraServer, NotAMultipleIsSaid) {
  const auto a = ultraserver_allocation(type("trn2u.48xlarge"), 6, k2405);
  EXPECT_TRUE(a.sbatch_flags.empty());
  ASSERT_EQ(a.notes.size(), 1u);
  EXPECT_EQ(a.notes[0],
            "6 nodes of trn2u.48xlarge are not a multiple of its UltraServer (4 nodes): no --segment is asked, so the "
            "job may share UltraServers with others; use 4 or 8 nodes to keep it in whole UltraServers");
}

TEST(UltraServer, OldSlurmGetsTheFlagAsANote) {
  const auto a = ultraserver_allocation(type("trn2u.48xlarge"), 8, kDebian);
  EXPECT_TRUE(a.sbatch_flags.empty());
  ASSERT_EQ(a.notes.size(), 1u);
  EXPECT_EQ(a.notes[0],
            "Slurm 22.05 has no --segment (Slurm 24.05 added it for topology/block): on Slurm >= 24.05 with "
            "topology/block (BlockSizes=4), trn-train would add --segment=4 to keep the job's 8 nodes in whole "
            "UltraServers of 4");
  EXPECT_TRUE(ultraserver_allocation(type("trn2u.48xlarge"), 8, SlurmVersion{23, 11}).sbatch_flags.empty());
}

}  // namespace
}  // namespace trn
