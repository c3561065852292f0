// Softmax + cross-entropy over the vocabulary, rows in parallel.
#pragma once

#include "trainer/kernels/common.h"

namespace trn::native::kernels {

// logits[N,V] become the softmax probabilities in place; row_loss[N] receives each
// row's -log p(target), summed in row order for the returned mean.
template <typename D>
float crossentropy_forward(const D& d, float* logits, float* row_loss, const int* targets, int N) {
  const int V = d.V;
#pragma omp parallel for schedule(static) if (worth_threads(at(N, V)))
  for (int n = 0; n < N; ++n) {
    float* row = logits + at(n, V);
    float maxv = row[0];
#pragma omp simd reduction(max : maxv)
    for (int j = 0; j < V; ++j) maxv = std::max(maxv, row[j]);
    const float target_logit = row[targets[n]];
    float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
    for (int j = 0; j < V; ++j) sum += (row[j] = exp_simd(row[j] - maxv));
    const float inv = 1.0f / sum;
    for (int j = 0; j < V; ++j) row[j] *= inv;
    row_loss[n] = std::log(sum) - (target_logit - maxv);
  }
  double loss = 0.0;
  for (int n = 0; n < N; ++n) loss += row_loss[n];
  return static_cast<float>(loss / N);
}

// The probabilities become d(loss * scale)/d(logits) in place: (p - onehot) * scale.
template <typename D>
void crossentropy_backward(const D& d, float* probs, const int* targets, int N, float scale) {
  const int V = d.V;
#pragma omp parallel for schedule(static) if (worth_threads(at(N, V)))
  for (int n = 0; n < N; ++n) {
    float* row = probs + at(n, V);
    for (int j = 0; j < V; ++j) row[j] *= scale;
    row[targets[n]] -= scale;
  }
}

}  // namespace trn::native::kernels
