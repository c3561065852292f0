// exp_simd (trainer/kernels/common.h), the kernels' vectorisable exp, against the C
// library's double-precision exp.
#include <gtest/gtest.h>

#include <cmath>

#include "trainer/kernels/common.h"

using trn::native::kernels::exp_simd;

TEST(ExpSimd, WithinTwoUlpOverTheNormalRange) {
  double worst = 0;
  for (float x = -87.0f; x < 88.0f; x += 0.0013f) {
    const double want = std::exp(static_cast<double>(x));
    const double ulp = std::ldexp(1.0, std::ilogb(want) - 23);  // one float ulp at want
    worst = std::max(worst, std::fabs(exp_simd(x) - want) / ulp);
  }
  EXPECT_LE(worst, 2.0);
}

TEST(ExpSimd, EdgesOfTheRange) {
  EXPECT_EQ(exp_simd(0.0f), 1.0f);
  EXPECT_EQ(exp_simd(-INFINITY), 0.0f);  // the online softmax's first correction factor
  EXPECT_EQ(exp_simd(-100.0f), 0.0f);
  EXPECT_EQ(exp_simd(INFINITY), INFINITY);
  EXPECT_EQ(exp_simd(100.0f), INFINITY);
  EXPECT_TRUE(std::isnan(exp_simd(NAN)));  // a diverged step must stay visible
}
