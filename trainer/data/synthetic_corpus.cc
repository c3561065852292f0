#include "trainer/data/synthetic_corpus.h"

#include <cmath>
#include <random>

namespace trn::native {
namespace {
constexpr double kFirst = 0.7, kSecond = 0.2;  // the rest (0.1) is uniform noise
}

SyntheticCorpus::SyntheticCorpus(int vocab_size, unsigned long long seed)
    : V_(vocab_size), seed_(seed), next_a_(vocab_size), next_b_(vocab_size) {
  std::mt19937_64 rng(seed ^ 0xc0ffee);
  std::uniform_int_distribution<int> tok(0, V_ - 1);
  for (int t = 0; t < V_; ++t) {
    next_a_[t] = tok(rng);
    do next_b_[t] = tok(rng); while (V_ > 1 && next_b_[t] == next_a_[t]);
  }
}

void SyntheticCorpus::batch(int B, int T, unsigned long long stream, std::vector<int>* tokens,
                            std::vector<int>* targets) const {
  std::mt19937_64 rng(seed_ * 0x9e3779b97f4a7c15ULL + stream);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::uniform_int_distribution<int> tok(0, V_ - 1);
  tokens->resize(static_cast<size_t>(B) * T);
  targets->resize(static_cast<size_t>(B) * T);
  for (int b = 0; b < B; ++b) {
    int cur = tok(rng);
    for (int t = 0; t < T; ++t) {
      const double r = u(rng);
      const int next = r < kFirst ? next_a_[cur] : r < kFirst + kSecond ? next_b_[cur] : tok(rng);
      (*tokens)[static_cast<size_t>(b) * T + t] = cur;
      (*targets)[static_cast<size_t>(b) * T + t] = next;
      cur = next;
    }
  }
}

double SyntheticCorpus::entropy() const {
  const double noise = (1.0 - kFirst - kSecond) / V_;
  const double pa = kFirst + noise, pb = kSecond + noise;
  return -(pa * std::log(pa) + pb * std::log(pb) + (V_ - 2) * noise * std::log(noise));
}

}  // namespace trn::native
