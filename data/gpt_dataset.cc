// GptDataset: the sample order documented in gpt_dataset.h. Epoch orders are built
// lazily (two kept per prefix and split, so a batch that straddles an epoch boundary
// does not rebuild them for every row); blending keeps the per-prefix counts every
// kBlendStride samples so any index is found in at most kBlendStride greedy steps.
#include "data/gpt_dataset.h"

#include <algorithm>
#include <cmath>

#include "data/indexed_dataset.h"
#include "data/vocab_sidecar.h"

namespace trn::data {
namespace {

constexpr uint64_t kBlendStride = 4096;

uint64_t mix(uint64_t x) {  // splitmix64's finaliser
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// Fisher-Yates over v with the splitmix64 stream seeded by `key`: for i from n-1 down
// to 1, swap v[i] with v[next() % (i + 1)].
void shuffle(std::vector<uint64_t>* v, uint64_t key) {
  uint64_t state = key;
  for (size_t i = v->size(); i > 1; --i) {
    state += 0x9e3779b97f4a7c15ULL;
    std::swap((*v)[i - 1], (*v)[mix(state) % i]);
  }
}

uint64_t stream_key(uint64_t seed, uint64_t source, int split, uint64_t epoch, int purpose) {
  return mix(mix(mix(mix(mix(seed) ^ source) ^ static_cast<uint64_t>(split)) ^ epoch) ^ static_cast<uint64_t>(purpose));
}

}  // namespace

struct Epoch {
  uint64_t number = UINT64_MAX;
  std::vector<uint64_t> docs;     // the split's documents in this epoch's order
  std::vector<uint64_t> ends;     // ends[k]: tokens in docs[0..k]
  std::vector<uint64_t> samples;  // slot -> sample of the epoch stream
};

struct SplitPart {
  uint64_t first_doc = 0, docs = 0, tokens = 0, per_epoch = 0;
  Epoch cache[2];
  int victim = 0;
};

struct GptDataset::Source {
  std::unique_ptr<IndexedDataset> data;
  SplitPart parts[3];

  uint64_t doc_tokens(uint64_t d) const {
    uint64_t n = 0;
    for (uint64_t s = data->document_start(d); s < data->document_start(d + 1); ++s) n += data->size(s);
    return n;
  }
  // Copies `count` tokens of document d from `offset` on (across its sequences).
  void read_doc(uint64_t d, uint64_t offset, uint64_t count, int* out) const {
    for (uint64_t s = data->document_start(d); count > 0 && s < data->document_start(d + 1); ++s) {
      const uint64_t size = data->size(s);
      if (offset >= size) {
        offset -= size;
        continue;
      }
      const uint64_t take = std::min(count, size - offset);
      data->read(s, offset, take, out);
      out += take;
      count -= take;
      offset = 0;
    }
  }
};

struct BlendState {
  std::vector<double> weights;                    // per source; 0 where the split is empty
  std::vector<std::vector<uint64_t>> checkpoints;  // taken[] before sample c * kBlendStride
};

GptDataset::~GptDataset() = default;

namespace {

// Megatron's get_train_valid_test_split_: boundaries round(fraction * documents),
// shifted so the last one is the document count. nearbyint rounds half to even, as
// Python's round() does.
void split_documents(const double splits[3], uint64_t docs, uint64_t bounds[4]) {
  bounds[0] = 0;
  for (int i = 0; i < 3; ++i)
    bounds[i + 1] = bounds[i] + static_cast<uint64_t>(std::nearbyint(splits[i] * static_cast<double>(docs)));
  const int64_t diff = static_cast<int64_t>(bounds[3]) - static_cast<int64_t>(docs);
  for (int i = 1; i < 4; ++i) bounds[i] = static_cast<uint64_t>(std::max<int64_t>(0, static_cast<int64_t>(bounds[i]) - diff));
}

bool check_vocab(const IndexedDataset& d, int vocab_size, int64_t* max_id, Problems* problems) {
  VocabRecord record;
  int64_t min_id = 0;
  const bool recorded = read_vocab_sidecar(d.prefix(), &record) && record.bin_bytes == d.bin_bytes();
  if (recorded)
    *max_id = record.max_token_id;
  else
    d.token_range(&min_id, max_id);
  const std::string bin = d.prefix() + ".bin";
  if (min_id < 0) {
    problems->push_back({bin, "token id " + std::to_string(min_id), "token ids are never negative: the dataset is "
                                                                     "corrupt or not a token dataset; rebuild it"});
    return false;
  }
  if (vocab_size > 0 && *max_id >= vocab_size) {
    const std::string source = recorded ? " (it was tokenized with " + record.tokenizer + ", a vocabulary of " +
                                              std::to_string(record.vocab_size) + " ids)"
                                        : "";
    problems->push_back({bin, "token id " + std::to_string(*max_id),
                         "the model's vocab_size is " + std::to_string(vocab_size) + source +
                             ": tokenize the text with the model's tokenizer, or set the model's vocab_size to at "
                             "least " + std::to_string(*max_id + 1)});
    return false;
  }
  return true;
}

}  // namespace

std::unique_ptr<GptDataset> GptDataset::open(const DatasetSpec& spec, Problems* problems) {
  std::unique_ptr<GptDataset> g(new GptDataset);
  g->spec_ = spec;
  const size_t before = problems->size();
  const uint64_t seq = static_cast<uint64_t>(std::max(spec.seq_length, 1));
  for (const auto& prefix : spec.prefixes) {
    auto src = std::make_unique<Source>();
    src->data = IndexedDataset::open(prefix.path, problems);
    if (!src->data) continue;
    int64_t max_id = -1;
    if (!check_vocab(*src->data, spec.vocab_size, &max_id, problems)) continue;
    g->max_token_id_ = std::max<int>(g->max_token_id_, static_cast<int>(max_id));
    uint64_t bounds[4];
    split_documents(spec.splits, src->data->documents(), bounds);
    for (int s = 0; s < 3; ++s) {
      SplitPart& part = src->parts[s];
      part.first_doc = bounds[s];
      part.docs = bounds[s + 1] - bounds[s];
      for (uint64_t d = bounds[s]; d < bounds[s + 1]; ++d) part.tokens += src->doc_tokens(d);
      part.per_epoch = part.tokens > 0 ? (part.tokens - 1) / seq : 0;
    }
    g->sources_.push_back(std::move(src));
  }
  if (problems->size() != before) return nullptr;
  if (g->samples(Split::kTrain) == 0) {
    uint64_t tokens = 0;
    for (const auto& s : g->sources_) tokens += s->parts[0].tokens;
    problems->push_back({"data.data_prefix", std::to_string(tokens) + " training tokens",
                         "a sample needs seq_length + 1 = " + std::to_string(seq + 1) +
                             " tokens: give more text, a shorter data.seq_length, or a larger train share in "
                             "data.splits_string"});
    return nullptr;
  }
  for (int s = 0; s < 3; ++s) {
    auto blend = std::make_unique<BlendState>();
    for (size_t i = 0; i < g->sources_.size(); ++i)
      blend->weights.push_back(g->sources_[i]->parts[s].per_epoch > 0 ? spec.prefixes[i].weight : 0.0);
    blend->checkpoints.push_back(std::vector<uint64_t>(g->sources_.size(), 0));
    g->blend_.push_back(std::move(blend));
  }
  return g;
}

uint64_t GptDataset::samples(Split split) const {
  uint64_t n = 0;
  for (const auto& s : sources_) n += s->parts[static_cast<int>(split)].per_epoch;
  return n;
}

namespace {

// Megatron's build_blending_indices step: the source furthest behind its share.
size_t blend_pick(const std::vector<double>& weights, const std::vector<uint64_t>& taken, uint64_t i) {
  const double at = static_cast<double>(std::max<uint64_t>(i, 1));
  size_t best = 0;
  double best_error = weights[0] * at - static_cast<double>(taken[0]);
  for (size_t d = 1; d < weights.size(); ++d) {
    const double error = weights[d] * at - static_cast<double>(taken[d]);
    if (error > best_error) best = d, best_error = error;
  }
  return best;
}

}  // namespace

void GptDataset::sample(Split split, uint64_t index, int* tokens) const {
  const int s = static_cast<int>(split);
  std::lock_guard<std::mutex> lock(mu_);
  size_t source = 0;
  uint64_t k = index;
  if (sources_.size() > 1) {
    BlendState& b = *blend_[s];
    const uint64_t c = index / kBlendStride;
    while (b.checkpoints.size() <= c) {
      std::vector<uint64_t> taken = b.checkpoints.back();
      const uint64_t from = (b.checkpoints.size() - 1) * kBlendStride;
      for (uint64_t i = from; i < from + kBlendStride; ++i) ++taken[blend_pick(b.weights, taken, i)];
      b.checkpoints.push_back(std::move(taken));
    }
    std::vector<uint64_t> taken = b.checkpoints[c];
    for (uint64_t i = c * kBlendStride; i < index; ++i) ++taken[blend_pick(b.weights, taken, i)];
    source = blend_pick(b.weights, taken, index);
    k = taken[source];
  }
  Source& src = *sources_[source];  // the epoch caches change under mu_
  SplitPart& part = src.parts[s];
  const uint64_t epoch_number = k / part.per_epoch;
  Epoch* epoch = nullptr;
  for (Epoch& e : part.cache)
    if (e.number == epoch_number) epoch = &e;
  if (!epoch) {
    epoch = &part.cache[part.victim];
    part.victim ^= 1;
    epoch->number = epoch_number;
    epoch->docs.resize(part.docs);
    for (uint64_t d = 0; d < part.docs; ++d) epoch->docs[d] = part.first_doc + d;
    shuffle(&epoch->docs, stream_key(spec_.seed, source, s, epoch_number, 0));
    epoch->ends.resize(part.docs);
    uint64_t end = 0;
    for (uint64_t d = 0; d < part.docs; ++d) epoch->ends[d] = end += src.doc_tokens(epoch->docs[d]);
    epoch->samples.resize(part.per_epoch);
    for (uint64_t j = 0; j < part.per_epoch; ++j) epoch->samples[j] = j;
    shuffle(&epoch->samples, stream_key(spec_.seed, source, s, epoch_number, 1));
  }
  const uint64_t seq = static_cast<uint64_t>(spec_.seq_length);
  uint64_t start = epoch->samples[k % part.per_epoch] * seq, left = seq + 1;
  size_t pos = static_cast<size_t>(std::upper_bound(epoch->ends.begin(), epoch->ends.end(), start) - epoch->ends.begin());
  while (left > 0) {
    const uint64_t doc_begin = pos == 0 ? 0 : epoch->ends[pos - 1];
    const uint64_t take = std::min(left, epoch->ends[pos] - start);
    src.read_doc(epoch->docs[pos], start - doc_begin, take, tokens);
    tokens += take;
    left -= take;
    start += take;
    ++pos;
  }
}

}  // namespace trn::data
