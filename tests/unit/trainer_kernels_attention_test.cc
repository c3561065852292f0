// The flash-style attention (trainer/kernels/attention.h) against a naive reference
// that builds the full causal softmax matrix, forward and backward, over shapes that
// span several query and key tiles with grouped-query heads; and the same bits for
// any thread count.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "trainer/kernels/attention.h"

namespace {

using trn::native::kernels::RuntimeDims;

struct Case {
  RuntimeDims d;
  int B;
  std::vector<float> q, k, v, dout;
};

Case make_case(int T, int NH, int NKV, int HS, int B, unsigned seed) {
  Case c{{T, NH * HS, 0, 0, NH, NKV, HS}, B, {}, {}, {}, {}};
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  auto fill = [&](std::vector<float>& x, size_t n) {
    x.resize(n);
    for (auto& e : x) e = normal(rng);
  };
  fill(c.q, static_cast<size_t>(B) * T * NH * HS), fill(c.k, static_cast<size_t>(B) * T * NKV * HS);
  fill(c.v, c.k.size()), fill(c.dout, c.q.size());
  return c;
}

// Naive: P = softmax(q k^T * scale) with the causal mask, out = P v; backward by the chain rule.
void reference(const Case& c, std::vector<float>* out, std::vector<float>* dq, std::vector<float>* dk,
               std::vector<float>* dv) {
  const int T = c.d.T, NH = c.d.NH, NKV = c.d.NKV, HS = c.d.HS, group = NH / NKV;
  const double scale = 1.0 / std::sqrt(static_cast<double>(HS));
  out->assign(c.q.size(), 0.0f), dq->assign(c.q.size(), 0.0f);
  dk->assign(c.k.size(), 0.0f), dv->assign(c.v.size(), 0.0f);
  auto qi = [&](int b, int t, int h) { return ((static_cast<size_t>(b) * T + t) * NH + h) * HS; };
  auto ki = [&](int b, int t, int h) { return ((static_cast<size_t>(b) * T + t) * NKV + h) * HS; };
  std::vector<double> p(T), dp(T);
  for (int b = 0; b < c.B; ++b)
    for (int h = 0; h < NH; ++h)
      for (int t = 0; t < T; ++t) {
        const int kh = h / group;
        double mx = -1e300, sum = 0.0;
        for (int s = 0; s <= t; ++s) {
          double dot = 0.0;
          for (int i = 0; i < HS; ++i) dot += c.q[qi(b, t, h) + i] * c.k[ki(b, s, kh) + i];
          mx = std::max(mx, p[s] = dot * scale);
        }
        for (int s = 0; s <= t; ++s) sum += (p[s] = std::exp(p[s] - mx));
        double weighted = 0.0;
        for (int s = 0; s <= t; ++s) {
          p[s] /= sum;
          dp[s] = 0.0;
          for (int i = 0; i < HS; ++i) {
            (*out)[qi(b, t, h) + i] += static_cast<float>(p[s] * c.v[ki(b, s, kh) + i]);
            dp[s] += c.dout[qi(b, t, h) + i] * c.v[ki(b, s, kh) + i];
            (*dv)[ki(b, s, kh) + i] += static_cast<float>(p[s] * c.dout[qi(b, t, h) + i]);
          }
          weighted += p[s] * dp[s];
        }
        for (int s = 0; s <= t; ++s) {
          const double ds = p[s] * (dp[s] - weighted) * scale;
          for (int i = 0; i < HS; ++i) {
            (*dq)[qi(b, t, h) + i] += static_cast<float>(ds * c.k[ki(b, s, kh) + i]);
            (*dk)[ki(b, s, kh) + i] += static_cast<float>(ds * c.q[qi(b, t, h) + i]);
          }
        }
      }
}

struct Result {
  std::vector<float> out, lse, dq, dk, dv;
};

Result flash(const Case& c, int threads) {
  using namespace trn::native::kernels;
  Result r;
  r.out.resize(c.q.size()), r.lse.resize(static_cast<size_t>(c.B) * c.d.NH * c.d.T);
  r.dq.assign(c.q.size(), 0.0f), r.dk.assign(c.k.size(), 0.0f), r.dv.assign(c.v.size(), 0.0f);
  std::vector<float> scratch(threads * attention_scratch_floats(c.d));
  attention_forward(c.d, r.out.data(), r.lse.data(), c.q.data(), c.k.data(), c.v.data(), c.B, scratch.data(), threads);
  attention_backward(c.d, r.dq.data(), r.dk.data(), r.dv.data(), c.dout.data(), r.out.data(), r.lse.data(),
                     c.q.data(), c.k.data(), c.v.data(), c.B, scratch.data(), threads);
  return r;
}

void expect_close(const std::vector<float>& got, const std::vector<float>& want, const char* what) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i)
    ASSERT_NEAR(got[i], want[i], 2e-5f + 2e-4f * std::fabs(want[i])) << what << "[" << i << "]";
}

TEST(FlashAttention, MatchesNaiveSoftmaxAttention) {
  // T spans several query tiles (16) and key tiles (64), the last ones partial;
  // group sizes 1, 2 and 4 (multi-head, grouped-query, multi-query-like).
  for (const auto& [T, NH, NKV, HS] : {std::tuple{150, 4, 2, 8}, {37, 2, 2, 6}, {80, 4, 1, 16}}) {
    const Case c = make_case(T, NH, NKV, HS, 2, 3);
    std::vector<float> out, dq, dk, dv;
    reference(c, &out, &dq, &dk, &dv);
    const Result r = flash(c, 2);
    SCOPED_TRACE("T=" + std::to_string(T) + " NH=" + std::to_string(NH) + " NKV=" + std::to_string(NKV));
    expect_close(r.out, out, "out");
    expect_close(r.dq, dq, "dq");
    expect_close(r.dk, dk, "dk");
    expect_close(r.dv, dv, "dv");
  }
}

TEST(FlashAttention, SameBitsForAnyThreadCount) {
  const Case c = make_case(100, 4, 2, 8, 3, 11);
  const Result one = flash(c, 1), three = flash(c, 3);
  EXPECT_EQ(one.out, three.out);
  EXPECT_EQ(one.lse, three.lse);
  EXPECT_EQ(one.dq, three.dq);
  EXPECT_EQ(one.dk, three.dk);
  EXPECT_EQ(one.dv, three.dv);
}

}  // namespace
