// The Megatron-dataset source (data.data_prefix): data/gpt_dataset.h builds the
// samples (seq_length + 1 tokens each, seeded order, blend of prefixes).
#include <algorithm>

#include "data/gpt_dataset.h"
#include "trainer/data/batch_source.h"

namespace trn::native {
namespace {

data::Split split_of(Split s) { return s == Split::kTrain ? data::Split::kTrain : data::Split::kValidation; }

class MegatronSource : public BatchSource {
 public:
  MegatronSource(std::unique_ptr<data::GptDataset> ds, std::string prefixes)
      : ds_(std::move(ds)), prefixes_(std::move(prefixes)) {}
  std::optional<Problem> rows(Split split, uint64_t first, int rows, int T, std::vector<int>* tokens,
                              std::vector<int>* targets) const override {
    tokens->resize(static_cast<size_t>(rows) * T);
    targets->resize(static_cast<size_t>(rows) * T);
    sample_.resize(static_cast<size_t>(T) + 1);
    for (int r = 0; r < rows; ++r) {
      if (auto problem = ds_->sample(split_of(split), first + static_cast<uint64_t>(r), sample_.data()))
        return problem;
      std::copy(sample_.begin(), sample_.end() - 1, tokens->begin() + static_cast<size_t>(r) * T);
      std::copy(sample_.begin() + 1, sample_.end(), targets->begin() + static_cast<size_t>(r) * T);
    }
    return std::nullopt;
  }
  uint64_t samples(Split split) const override { return ds_->samples(split_of(split)); }
  std::string describe() const override {
    return "Megatron dataset " + prefixes_ + ": " + std::to_string(samples(Split::kTrain)) + " training, " +
           std::to_string(samples(Split::kValidation)) + " validation samples per epoch";
  }

 private:
  std::unique_ptr<data::GptDataset> ds_;
  std::string prefixes_;
  mutable std::vector<int> sample_;
};

}  // namespace

std::unique_ptr<BatchSource> open_batch_source(const TrainSettings& s, Problems* problems) {
  data::DatasetSpec spec;
  const size_t before = problems->size();
  for (Problem& p : data::read_dataset_spec(s.doc, s.shape.seq_length, s.shape.vocab_size,
                                            static_cast<uint64_t>(s.train.seed), &spec))
    problems->push_back(std::move(p));
  if (problems->size() != before) return nullptr;
  if (!spec.configured()) return synthetic_batch_source(s);
  auto ds = data::GptDataset::open(spec, problems);
  if (!ds) return nullptr;
  std::string names;
  for (const data::DatasetPrefix& p : spec.prefixes) names += (names.empty() ? "" : ", ") + p.path;
  return std::make_unique<MegatronSource>(std::move(ds), names);
}

}  // namespace trn::native
