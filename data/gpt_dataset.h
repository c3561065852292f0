// GPT training samples from Megatron indexed datasets (data/indexed_dataset.h), built
// the way Megatron's GPT dataset builds them, for trn-train-native.
//
// Config (NxDT's megatron_* configs, `data:` block; read by read_dataset_spec):
//   data.data_prefix    [w1, prefix1, w2, prefix2, ...], [prefix] or prefix: the datasets
//                       PREFIX.bin + PREFIX.idx, relative paths from the config file's folder.
//                       Weights need not sum to 1 (they are normalised). Absent: no dataset
//                       (the trainer keeps `data.train_dir: synthetic`, its built-in corpus).
//   data.splits_string  "980,10,10" (or "0.98,0.01,0.01", or "98,2"): each prefix's
//                       documents are split, in file order, into train / validation / test
//                       ranges by these proportions (Megatron's rule: boundaries at
//                       round(fraction * documents)). Default "969,30,1" (Megatron's).
//   seq_length, seed    passed in (data.seq_length / model.encoder_seq_length, seed).
//
// A sample is seq_length + 1 consecutive tokens: inputs are tokens[0..seq), targets
// tokens[1..seq] (the +1 is the last target). The sample order, fixed by seed alone:
//  * per prefix and split, epoch e orders the split's documents by a Fisher-Yates shuffle
//    driven by splitmix64(seed, prefix index, split, e); the documents' tokens, in that
//    order, are one stream; sample j of the epoch is stream tokens [j*seq, j*seq + seq + 1)
//    (consecutive samples share one token, samples cross document boundaries, the tail
//    shorter than a sample is dropped): samples_per_epoch = (tokens - 1) / seq.
//  * the epoch's samples are then visited in a second seeded Fisher-Yates order, so
//    index k of the prefix's split is epoch k / samples_per_epoch, slot k % samples_per_epoch.
//    Epochs wrap forever: any index is valid.
//  * several prefixes are blended as Megatron's BlendableDataset does: global sample i goes
//    to the prefix d maximising weight[d] * max(i, 1) - taken[d] (lowest d on ties), and is
//    that prefix's sample taken[d] (then taken[d] += 1). A prefix whose split is empty
//    (e.g. a small corpus whose validation share rounds to 0 documents) takes no part in
//    that split: the split's weights are those of the prefixes that have samples in it,
//    normalised again to sum 1, so no sample is ever asked of a prefix that has none.
//
// Data-parallel sharding (Megatron's pretraining sampler): in optimizer step s, with
// consumed_samples = s * global_batch_size at its start, micro-batch m (gradient
// accumulation step, 0 ≤ m < global_batch / (micro * dp)), data-parallel rank r and row b
// read global sample index
//     consumed_samples + m * (dp * micro) + r * micro + b
// so every rank reads distinct samples, the ranks together read every index once, and
// the data position is the single integer consumed_samples (saved in checkpoints, as
// NxDT logs it): a resume continues exactly. Validation uses the same rule on
// Split::kValidation from index 0 at each evaluation (the same held-out samples each time).
//
// Linking (data/module.mk): $(DATA_LIB) $(CONFIG_LIB) $(COMMON_LIB) $(YAMLCPP_LIBS); add
// $(SENTENCEPIECE_LIBS) only when calling Tokenizer::open (data/tokenizer.h).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/config/document.h"
#include "common/problem.h"

namespace trn::data {

enum class Split { kTrain = 0, kValidation = 1, kTest = 2 };

struct DatasetPrefix {
  double weight = 1.0;  // finite, > 0; normalised: the weights of a spec sum to 1
  std::string path;     // PREFIX (without .bin/.idx), resolved against the config's folder
};

struct DatasetSpec {
  std::vector<DatasetPrefix> prefixes;  // empty: no dataset configured (synthetic corpus)
  double splits[3] = {0.969, 0.030, 0.001};  // train, validation, test; sum 1
  int seq_length = 0;
  int vocab_size = 0;  // every token id must be below it; 0: not checked
  uint64_t seed = 0;
  bool configured() const { return !prefixes.empty(); }
};

// Reads data.data_prefix and data.splits_string (see above); Problems name the key.
// No file I/O: open() checks the files.
Problems read_dataset_spec(const trn::config::Document& doc, int seq_length, int vocab_size, uint64_t seed,
                           DatasetSpec* out);

// Scales non-negative finite values to sum 1 without overflow (1e308 + 1e308 is inf, so
// they are divided by their largest first). False, *v unchanged, when a value is negative,
// not finite, or all are 0.
bool normalise_shares(std::vector<double>* v);

class IndexedDataset;
struct BlendState;

class GptDataset {
 public:
  // Opens every prefix, validates each .idx against its .bin (indexed_dataset.h), checks
  // the token ids against spec.vocab_size (from the PREFIX.vocab.json sidecar that
  // `trn-train data` writes when it belongs to this pair, else one pass over the .bin),
  // the spec's weights and splits, and that the train split has at least one sample (an
  // empty validation split is the caller's to judge: samples() = 0).
  // nullptr with Problems (path, value, fix) otherwise.
  static std::unique_ptr<GptDataset> open(const DatasetSpec& spec, Problems* problems);
  ~GptDataset();

  // Samples in one epoch of `split` (summed over the prefixes); 0 when the split is empty
  // (e.g. splits_string "100,0,0" has no validation samples). Indices past it wrap.
  uint64_t samples(Split split) const;
  // Fills tokens[0 .. seq_length] (seq_length + 1 ids, each in [0, vocab_size)) with global
  // sample `index` of `split`. Thread-safe. A Problem instead when the split has no sample
  // (naming the split and the prefixes) or the .bin no longer holds what open() checked
  // (it shrank, or an id is past the vocabulary: IndexedDataset::read); the caller stops.
  [[nodiscard]] std::optional<Problem> sample(Split split, uint64_t index, int* tokens) const;
  // A Problem naming the split, each prefix's tokens in it and the fix when the split has
  // no sample (open() refuses an empty train split with it); nullopt otherwise.
  std::optional<Problem> empty_split(Split split) const;
  // Largest token id over all prefixes (what the vocabulary check compared).
  int max_token_id() const { return max_token_id_; }
  int seq_length() const { return spec_.seq_length; }

 private:
  struct Source;  // one prefix: its mapped dataset and per-split epoch orders
  GptDataset() = default;
  DatasetSpec spec_;
  std::vector<std::unique_ptr<Source>> sources_;
  int max_token_id_ = -1;
  mutable std::mutex mu_;  // guards the lazily built epoch orders and blend checkpoints
  std::vector<std::unique_ptr<BlendState>> blend_;  // one per split (contents change under mu_)
};

}  // namespace trn::data
