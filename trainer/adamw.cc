#include "trainer/adamw.h"

#include <cmath>

namespace trn::native {

float learning_rate(const config::OptimConfig& o, int step) {
  const float lr = static_cast<float>(o.lr), min_lr = static_cast<float>(o.min_lr);
  const int warmup = static_cast<int>(o.warmup_steps);
  if (warmup > 0 && step <= warmup) return lr * step / warmup;
  const int span = std::max(1, static_cast<int>(o.decay_steps) - warmup);
  const float progress = std::min(1.0f, static_cast<float>(step - warmup) / span);
  return min_lr + 0.5f * (lr - min_lr) * (1.0f + std::cos(static_cast<float>(M_PI) * progress));
}

float clip_grad_norm(std::vector<float>& grads, float max_norm) {
  double ss = 0.0;
  for (float g : grads) ss += static_cast<double>(g) * g;
  const float norm = static_cast<float>(std::sqrt(ss));
  if (max_norm > 0.0f && norm > max_norm) {
    const float k = max_norm / (norm + 1e-6f);
    for (float& g : grads) g *= k;
  }
  return norm;
}

AdamW::AdamW(size_t n, std::vector<std::pair<size_t, size_t>> no_decay) : m_(n), v_(n), decay_(n, 1) {
  for (const auto& [at, len] : no_decay) std::fill_n(decay_.begin() + at, len, 0);
}

void AdamW::step(std::vector<float>& params, const std::vector<float>& grads, const config::OptimConfig& o,
                 int step) {
  const float lr = learning_rate(o, step);
  const float beta1 = static_cast<float>(o.beta1), beta2 = static_cast<float>(o.beta2);
  const float eps = static_cast<float>(o.eps), weight_decay = static_cast<float>(o.weight_decay);
  const float c1 = 1.0f - std::pow(beta1, static_cast<float>(step));
  const float c2 = 1.0f - std::pow(beta2, static_cast<float>(step));
  for (size_t i = 0; i < params.size(); ++i) {
    const float g = grads[i];
    m_[i] = beta1 * m_[i] + (1.0f - beta1) * g;
    v_[i] = beta2 * v_[i] + (1.0f - beta2) * g * g;
    const float update = (m_[i] / c1) / (std::sqrt(v_[i] / c2) + eps);
    params[i] -= lr * (update + (decay_[i] ? weight_decay * params[i] : 0.0f));
  }
}

}  // namespace trn::native
