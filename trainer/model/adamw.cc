#include "trainer/model/adamw.h"

#include <algorithm>
#include <cmath>

#include "trainer/model/threads.h"

namespace trn::native {

float learning_rate(const config::OptimConfig& o, int step) {
  const float lr = static_cast<float>(o.lr), min_lr = static_cast<float>(o.min_lr);
  const int warmup = static_cast<int>(o.warmup_steps);
  if (warmup > 0 && step <= warmup) return lr * step / warmup;
  const int span = std::max(1, static_cast<int>(o.decay_steps) - warmup);
  const float progress = std::min(1.0f, static_cast<float>(step - warmup) / span);
  return min_lr + 0.5f * (lr - min_lr) * (1.0f + std::cos(static_cast<float>(M_PI) * progress));
}

double squared_sum(const float* x, size_t n) {
  double ss = 0.0;
  for (size_t i = 0; i < n; ++i) ss += static_cast<double>(x[i]) * x[i];
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
    for (float& g : grads) g *= k;
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
  const float lr = learning_rate(o, step);
  const float beta1 = static_cast<float>(o.beta1), beta2 = static_cast<float>(o.beta2);
  const float eps = static_cast<float>(o.eps), weight_decay = static_cast<float>(o.weight_decay);
  const float c1 = 1.0f - std::pow(beta1, static_cast<float>(step));
  const float c2 = 1.0f - std::pow(beta2, static_cast<float>(step));
  // Elementwise, so the split across the process's threads changes no result.
  const long n = static_cast<long>(shard_.size);
#pragma omp parallel for schedule(static) num_threads(kernel_threads())
  for (long i = 0; i < n; ++i) {
    const float g = grads[i];
    m_[i] = beta1 * m_[i] + (1.0f - beta1) * g;
    v_[i] = beta2 * v_[i] + (1.0f - beta2) * g * g;
    const float update = (m_[i] / c1) / (std::sqrt(v_[i] / c2) + eps);
    params[i] -= lr * (update + (decay_[i] ? weight_decay * params[i] : 0.0f));
  }
}

}  // namespace trn::native
