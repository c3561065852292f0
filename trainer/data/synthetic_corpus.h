// The demo's training data: token sequences from a fixed random first-order Markov
// chain (each token has two likely successors). It is learnable, so the loss falls
// visibly from ln(V) towards the chain's entropy within a few dozen steps, and it is
// reproducible: batch (step, micro, rank) is the same on every run, also after a requeue.
#pragma once

#include <vector>

namespace trn::native {

class SyntheticCorpus {
 public:
  // The vocabulary the chain needs: two distinct likely successors per token (with a
  // single token the loss is 0 from step 1 and nothing is learnt).
  static constexpr int kMinVocab = 2;
  SyntheticCorpus(int vocab_size, unsigned long long seed);
  // Fills tokens/targets ([B*T] each; targets = tokens shifted by one).
  void batch(int B, int T, unsigned long long stream, std::vector<int>* tokens, std::vector<int>* targets) const;
  // Entropy rate of the chain in nats: the loss a perfect model reaches.
  double entropy() const;

 private:
  int V_;
  unsigned long long seed_;
  std::vector<int> next_a_, next_b_;  // the two likely successors of each token
};

}  // namespace trn::native
