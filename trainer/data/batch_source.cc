#include "trainer/data/batch_source.h"

#include <algorithm>
#include <cstdio>

#include "trainer/data/synthetic_corpus.h"

namespace trn::native {
namespace {

// The held-out split of the synthetic corpus: streams no training sample uses.
constexpr uint64_t kValidationStreams = uint64_t{1} << 62;
constexpr uint64_t kSyntheticValidationSamples = 256;

class SyntheticSource : public BatchSource {
 public:
  explicit SyntheticSource(const TrainSettings& s) : corpus_(s.shape.vocab_size, s.train.seed) {}
  std::optional<Problem> rows(Split split, uint64_t first, int rows, int T, std::vector<int>* tokens,
                              std::vector<int>* targets) const override {
    tokens->resize(static_cast<size_t>(rows) * T);
    targets->resize(static_cast<size_t>(rows) * T);
    for (int r = 0; r < rows; ++r) {
      const uint64_t i = first + static_cast<uint64_t>(r);
      corpus_.batch(1, T, split == Split::kTrain ? i : kValidationStreams + i % kSyntheticValidationSamples,
                    &row_tokens_, &row_targets_);
      std::copy(row_tokens_.begin(), row_tokens_.end(), tokens->begin() + static_cast<size_t>(r) * T);
      std::copy(row_targets_.begin(), row_targets_.end(), targets->begin() + static_cast<size_t>(r) * T);
    }
    return std::nullopt;
  }
  uint64_t samples(Split split) const override { return split == Split::kTrain ? 0 : kSyntheticValidationSamples; }
  std::string describe() const override {
    char buf[96];
    std::snprintf(buf, sizeof buf, "synthetic Markov corpus, target loss (its entropy) %.3f", corpus_.entropy());
    return buf;
  }

 private:
  SyntheticCorpus corpus_;
  mutable std::vector<int> row_tokens_, row_targets_;
};

}  // namespace

std::unique_ptr<BatchSource> synthetic_batch_source(const TrainSettings& s) {
  return std::make_unique<SyntheticSource>(s);
}

}  // namespace trn::native
