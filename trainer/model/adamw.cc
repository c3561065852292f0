#include "trainer/model/adamw.h"

#include <algorithm>
#include <cmath>

#include "trainer/model/isa_clones.h"
#include "trainer/model/threads.h"

namespace trn::native {
namespace {

// The sum of squares of x[0, n) in 8 lanes, each summing every 8th value in order,
// added up in lane order at the end: the same additions (and so the same double) at
// every vector width. Squares of floats are exact in double.
TRN_ISA_CLONES double block_squares(const float* x, size_t n) {
  double lane[8] = {};
  size_t i = 0;
  for (; i + 8 <= n; i += 8)
#pragma omp simd
    for (int k = 0; k < 8; ++k) lane[k] += static_cast<double>(x[i + k]) * x[i + k];
  for (int k = 0; i < n; ++i, ++k) lane[k] += static_cast<double>(x[i]) * x[i];
  double s = 0.0;
  for (double v : lane) s += v;
  return s;
}

TRN_ISA_CLONES void block_scale(float* x, size_t n, float k) {
#pragma omp simd
  for (size_t i = 0; i < n; ++i) x[i] *= k;
}

struct AdamStep {
  float lr, beta1, beta2, eps, weight_decay, c1, c2;
};

TRN_ISA_CLONES void block_adamw(float* params, const float* grads, float* m, float* v, const unsigned char* decay,
                                size_t n, AdamStep a) {
#pragma omp simd
  for (size_t i = 0; i < n; ++i) {
    const float g = grads[i];
    m[i] = a.beta1 * m[i] + (1.0f - a.beta1) * g;
    v[i] = a.beta2 * v[i] + (1.0f - a.beta2) * g * g;
    const float update = (m[i] / a.c1) / (std::sqrt(v[i] / a.c2) + a.eps);
    params[i] -= a.lr * (update + a.weight_decay * decay[i] * params[i]);  // decay[i]: 0 or 1, no branch
  }
}

}  // namespace

float learning_rate(const config::OptimConfig& o, int step) {
  const float lr = static_cast<float>(o.lr), min_lr = static_cast<float>(o.min_lr);
  const int warmup = static_cast<int>(o.warmup_steps);
  if (warmup > 0 && step <= warmup) return lr * step / warmup;
  const int span = std::max(1, static_cast<int>(o.decay_steps) - warmup);
  const float progress = std::min(1.0f, static_cast<float>(step - warmup) / span);
  return min_lr + 0.5f * (lr - min_lr) * (1.0f + std::cos(static_cast<float>(M_PI) * progress));
}

double squared_sum(const float* x, size_t n) {
  std::vector<double> partial(buffer_blocks(n));
  for_blocks(n, [&](size_t begin, size_t count) {
    partial[begin / kBufferBlock] = block_squares(x + begin, count);
  });
  double ss = 0.0;
  for (double p : partial) ss += p;  // in block order
  return ss;
}

float clip_grad_norm(std::vector<float>& grads, float max_norm) {
  const float norm = static_cast<float>(std::sqrt(squared_sum(grads.data(), grads.size())));
  clip_to_norm(grads, norm, max_norm);
  return norm;
}

void clip_to_norm(std::vector<float>& grads, float norm, float max_norm) {
  if (max_norm > 0.0f && norm > max_norm) {
    const float k = max_norm / (norm + 1e-6f);
    for_blocks(grads.size(), [&](size_t begin, size_t count) { block_scale(grads.data() + begin, count, k); });
  }
}

AdamW::AdamW(size_t n, Shard shard, std::vector<std::pair<size_t, size_t>> no_decay)
    : n_(n), shard_(shard), no_decay_(std::move(no_decay)), m_(shard.size), v_(shard.size) {
  mark_decay();
}

void AdamW::mark_decay() {
  decay_.assign(shard_.size, 1);
  const size_t end = shard_.begin + shard_.size;
  for (const auto& [at, len] : no_decay_) {
    const size_t from = std::max(at, shard_.begin), to = std::min(at + len, end);
    if (from < to) std::fill(decay_.begin() + (from - shard_.begin), decay_.begin() + (to - shard_.begin), 0);
  }
}

void AdamW::step(float* params, const float* grads, const config::OptimConfig& o, int step) {
  const float beta1 = static_cast<float>(o.beta1), beta2 = static_cast<float>(o.beta2);
  const AdamStep a{learning_rate(o, step), beta1, beta2, static_cast<float>(o.eps),
                   static_cast<float>(o.weight_decay), 1.0f - std::pow(beta1, static_cast<float>(step)),
                   1.0f - std::pow(beta2, static_cast<float>(step))};
  // Elementwise, so the split across the process's threads changes no result.
  for_blocks(shard_.size, [&](size_t begin, size_t count) {
    block_adamw(params + begin, grads + begin, m_.data() + begin, v_.data() + begin, decay_.data() + begin, count, a);
  });
}

}  // namespace trn::native
