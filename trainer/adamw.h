// AdamW with linear warmup and cosine decay, plus global-norm gradient clipping.
// Weight decay skips the RMSNorm gains (as NxDT does with do_layer_norm_weight_decay: false).
#pragma once

#include <cstddef>
#include <utility>
#include <vector>

#include "common/config/training.h"

namespace trn::native {

// Learning rate at 1-based `step`: linear warmup to lr, then cosine to min_lr at decay_steps.
float learning_rate(const config::OptimConfig& o, int step);

// Scales grads so their global L2 norm is at most max_norm (0: no clipping); returns the norm before.
float clip_grad_norm(std::vector<float>& grads, float max_norm);

class AdamW {
 public:
  // no_decay: [offset, length) ranges of parameters exempt from weight decay.
  AdamW(size_t n, std::vector<std::pair<size_t, size_t>> no_decay);
  void step(std::vector<float>& params, const std::vector<float>& grads, const config::OptimConfig& o, int step);
  std::vector<float>& m() { return m_; }
  std::vector<float>& v() { return v_; }

 private:
  std::vector<float> m_, v_;
  std::vector<unsigned char> decay_;
};

}  // namespace trn::native
