// AdamW with linear warmup and cosine decay, plus global-norm gradient clipping.
// Weight decay skips the RMSNorm gains (as NxDT does with do_layer_norm_weight_decay: false).
// With ZeRO-1 (trainer/model/zero1.h) an AdamW holds the state of its rank's shard only.
#pragma once

#include <cstddef>
#include <utility>
#include <vector>

#include "common/config/training.h"
#include "trainer/model/zero1.h"

namespace trn::native {

// Learning rate at 1-based `step`: linear warmup to lr, then cosine to min_lr at decay_steps.
float learning_rate(const config::OptimConfig& o, int step);

// The sum of squares (in double: the ZeRO-1 shards' sums are added across ranks).
double squared_sum(const float* x, size_t n);
// Scales grads so their global L2 norm is at most max_norm (0: no clipping); returns the norm before.
float clip_grad_norm(std::vector<float>& grads, float max_norm);
// The same for a part of the gradients whose global norm (of all parts) is `norm`.
void clip_to_norm(std::vector<float>& grads, float norm, float max_norm);

class AdamW {
 public:
  // The state of `shard` of n parameters (ZeRO-1: this rank's, trainer/model/zero1.h's
  // optimizer_shard; else all n), m and v allocated for it alone. no_decay: [offset,
  // length) ranges of parameters exempt from weight decay.
  AdamW(size_t n, Shard shard, std::vector<std::pair<size_t, size_t>> no_decay);
  // Updates the shard: params and grads point at its first value (shard().size each).
  void step(float* params, const float* grads, const config::OptimConfig& o, int step);
  const Shard& shard() const { return shard_; }
  bool sharded() const { return shard_.size != n_; }
  // The shard's moments (shard().size each); a resume moves them out and back in.
  std::vector<float>& m() { return m_; }
  std::vector<float>& v() { return v_; }

 private:
  size_t n_;
  Shard shard_;
  std::vector<std::pair<size_t, size_t>> no_decay_;
  std::vector<float> m_, v_;
  std::vector<unsigned char> decay_;  // the shard's: 1 where weight decay applies

  void mark_decay();
};

}  // namespace trn::native
