// Where the training loop's tokens come from: the built-in synthetic corpus or a
// Megatron dataset (data/gpt_dataset.h, data.data_prefix). Both are indexed by one
// global sample number, as Megatron's pretraining sampler is: in the step that starts
// at consumed_samples, micro-batch m of data-parallel rank r reads samples
//     consumed_samples + (m * ranks + r) * micro_batch_size + row
// so the ranks read distinct samples, the run's data position is the single integer
// consumed_samples (NxDT logs it and the checkpoint stores it: a resume continues
// exactly), and 1 rank or 4 ranks with the same global batch see the same samples.
// Validation reads the held-out split from sample 0 each time (the same samples).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/problem.h"
#include "trainer/train_settings.h"

namespace trn::native {

enum class Split { kTrain, kValidation };

class BatchSource {
 public:
  virtual ~BatchSource() = default;
  // Fills tokens and targets ([rows * T] each, targets = tokens shifted by one) with
  // samples first .. first + rows - 1 of `split` (indices past an epoch wrap). A Problem
  // when the data changed under the run (a .bin that shrank, an id past the vocabulary):
  // nothing sane can be trained on.
  [[nodiscard]] virtual std::optional<Problem> rows(Split split, uint64_t first, int rows, int T,
                                                    std::vector<int>* tokens, std::vector<int>* targets) const = 0;
  // Samples in one epoch of `split`; 0: endless (train) or none (validation).
  virtual uint64_t samples(Split split) const = 0;
  // One line for the start-up banner.
  virtual std::string describe() const = 0;
};

// The first sample of micro-batch `micro` of `rank` in the step starting at `consumed`.
inline uint64_t first_sample(long long consumed, int micro, int ranks, int rank, int micro_batch) {
  return static_cast<uint64_t>(consumed) +
         (static_cast<uint64_t>(micro) * ranks + static_cast<uint64_t>(rank)) * static_cast<uint64_t>(micro_batch);
}

// The synthetic corpus (data.train_dir: synthetic, no data.data_prefix): sample i is
// its own seeded stream; the held-out split is a disjoint family of streams.
std::unique_ptr<BatchSource> synthetic_batch_source(const TrainSettings& s);
// The source the settings name: a Megatron dataset when data.data_prefix is set
// (opened and checked here, before step 1), else the synthetic corpus. nullptr with
// Problems when the dataset cannot be used.
std::unique_ptr<BatchSource> open_batch_source(const TrainSettings& s, Problems* problems);

}  // namespace trn::native
