#include "common/ports.h"

#include <gtest/gtest.h>

#include <set>

namespace {

TEST(PortRange, ParsesValidRange) {
  trn::PortRange r;
  std::string err;
  ASSERT_TRUE(trn::parse_port_range("41000-41999", &r, &err)) << err;
  EXPECT_EQ(r.lo, 41000);
  EXPECT_EQ(r.hi, 41999);
  ASSERT_TRUE(trn::parse_port_range("50000-50000", &r, &err)) << err;
}

TEST(PortRange, SinglePortIsARangeOfOne) {
  trn::PortRange r;
  std::string err;
  ASSERT_TRUE(trn::parse_port_range("41000", &r, &err)) << err;
  EXPECT_EQ(r.lo, 41000);
  EXPECT_EQ(r.hi, 41000);
}

TEST(PortRange, RejectsMalformedAndOutOfRange) {
  trn::PortRange r;
  for (const char* bad : {"", "41000-", "-41000", "80-90", "41000-70000", "42000-41000", "4a-5b",
                          "41000-41999x", "41000--41999"}) {
    std::string err;
    EXPECT_FALSE(trn::parse_port_range(bad, &r, &err)) << bad;
    EXPECT_NE(err.find("1024 <= LO <= HI <= 65535"), std::string::npos) << err;
  }
}

TEST(DerivePort, StaysInRangeAndIsDeterministic) {
  const trn::PortRange r{46000, 46999};
  for (uint64_t job = 0; job < 5000; ++job) {
    const uint16_t p = trn::step_port(job, 0, r);
    ASSERT_GE(p, r.lo);
    ASSERT_LE(p, r.hi);
    ASSERT_EQ(p, trn::step_port(job, 0, r));
  }
  EXPECT_EQ(trn::step_port(7, 3, {5000, 5000}), 5000);
}

TEST(DerivePort, SpreadsNeighbouringJobsAndSalts) {
  const trn::PortRange r{46000, 46999};
  std::set<uint16_t> by_job, by_salt;
  for (uint64_t i = 0; i < 100; ++i) {
    by_job.insert(trn::step_port(1000 + i, 0, r));
    by_salt.insert(trn::step_port(1000, i, r));
  }
  // 100 jobs over 1000 ports: a good mix collides a handful of times at most;
  // 100 salts (steps) of one job never collide.
  EXPECT_GT(by_job.size(), 90u);
  EXPECT_EQ(by_salt.size(), 100u);
}

}  // namespace
