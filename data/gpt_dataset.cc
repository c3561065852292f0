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
  // Copies `count` tokens of document d from `offset` on (across its sequences), each
  // below id_limit.
  std::optional<Problem> read_doc(uint64_t d, uint64_t offset, uint64_t count, int* out, int64_t id_limit) const {
    for (uint64_t s = data->document_start(d); count > 0 && s < data->document_start(d + 1); ++s) {
      const uint64_t size = data->size(s);
      if (offset >= size) {
        offset -= size;
        continue;
      }
      const uint64_t take = std::min(count, size - offset);
      if (auto problem = data->read(s, offset, take, out, id_limit)) return problem;
      out += take;
      count -= take;
      offset = 0;
    }
    return std::nullopt;
  }
};

// One split's blend over the sources that have samples in it (Megatron's weights,
// normalised again over them): a source without samples can never be picked, whatever
// the arithmetic of the greedy step does with ties or rounding.
struct BlendState {
  std::vector<size_t> sources;                     // indices into sources_ with samples in the split
  std::vector<double> weights;                     // theirs, > 0, summing to 1
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

// What the id checks compare against: the model's vocabulary, or (vocab_size 0: not
// checked) only what an int holds.
int64_t id_limit(int vocab_size) { return vocab_size > 0 ? vocab_size : int64_t{INT32_MAX} + 1; }

const char* split_name(int s) { return s == 0 ? "train" : s == 1 ? "validation" : "test"; }

bool check_vocab(const IndexedDataset& d, int vocab_size, int64_t* max_id, Problems* problems) {
  VocabRecord record;
  int64_t min_id = 0;
  // The record counts only for the pair it was written for (vocab_sidecar.h).
  const bool recorded = read_vocab_sidecar(d.prefix(), &record) && record.bin_bytes == d.bin_bytes() &&
                        !record.idx_sha256.empty() && record.idx_sha256 == d.index_sha256();
  if (recorded) {
    *max_id = record.max_token_id;
  } else if (auto problem = d.token_range(&min_id, max_id)) {
    problems->push_back(*problem);
    return false;
  }
  const std::string bin = d.prefix() + ".bin";
  if (min_id < 0) {
    problems->push_back({bin, "token id " + std::to_string(min_id), "token ids are never negative: the dataset is "
                                                                     "corrupt or not a token dataset; rebuild it"});
    return false;
  }
  if (*max_id >= id_limit(vocab_size)) {
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

// The spec's weights and splits as open() relies on them (read_dataset_spec guarantees
// them; a spec built elsewhere is checked, not trusted).
bool check_shares(const DatasetSpec& spec, double splits[3], Problems* problems) {
  std::vector<double> weights;
  for (const auto& p : spec.prefixes) weights.push_back(p.weight);
  const bool positive = std::all_of(weights.begin(), weights.end(), [](double w) { return w > 0; });
  std::string text;
  for (double w : weights) text += (text.empty() ? "" : ", ") + std::to_string(w);
  if (!positive || !normalise_shares(&weights)) {
    problems->push_back({"data.data_prefix", "weights " + text, "each weight must be a positive finite number"});
    return false;
  }
  if (std::any_of(weights.begin(), weights.end(), [](double w) { return w <= 0; })) {
    problems->push_back({"data.data_prefix", "weights " + text,
                         "a weight is too small next to the largest to be sampled ever: drop that prefix or raise it"});
    return false;
  }
  std::vector<double> shares(spec.splits, spec.splits + 3);
  if (!normalise_shares(&shares)) {
    problems->push_back({"data.splits_string", "(not finite, negative or all 0)",
                         "give up to three non-negative train,validation,test proportions with a positive sum"});
    return false;
  }
  std::copy(shares.begin(), shares.end(), splits);
  return true;
}

}  // namespace

bool normalise_shares(std::vector<double>* v) {
  double largest = 0, sum = 0;
  for (double x : *v) {
    if (!std::isfinite(x) || x < 0) return false;
    largest = std::max(largest, x);
    sum += x;
  }
  if (largest == 0) return false;
  // The plain quotient when the sum is finite (what Megatron computes); scaled by the
  // largest first when it overflowed.
  const double scale = std::isfinite(sum) ? 1.0 : largest;
  if (scale != 1.0) {
    sum = 0;
    for (double x : *v) sum += x / scale;
  }
  for (double& x : *v) x = x / scale / sum;
  return true;
}

std::unique_ptr<GptDataset> GptDataset::open(const DatasetSpec& spec, Problems* problems) {
  std::unique_ptr<GptDataset> g(new GptDataset);
  g->spec_ = spec;
  if (spec.seq_length < 1) {
    problems->push_back({"data.seq_length", std::to_string(spec.seq_length), "must be at least 1"});
    return nullptr;
  }
  if (!check_shares(spec, g->spec_.splits, problems)) return nullptr;
  const size_t before = problems->size();
  const uint64_t seq = static_cast<uint64_t>(spec.seq_length);
  for (const auto& prefix : spec.prefixes) {
    auto src = std::make_unique<Source>();
    src->data = IndexedDataset::open(prefix.path, problems);
    if (!src->data) continue;
    int64_t max_id = -1;
    if (!check_vocab(*src->data, spec.vocab_size, &max_id, problems)) continue;
    g->max_token_id_ = std::max<int>(g->max_token_id_, static_cast<int>(max_id));
    uint64_t bounds[4];
    split_documents(g->spec_.splits, src->data->documents(), bounds);
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
  for (int s = 0; s < 3; ++s) {
    auto blend = std::make_unique<BlendState>();
    for (size_t i = 0; i < g->sources_.size(); ++i)
      if (g->sources_[i]->parts[s].per_epoch > 0) {
        blend->sources.push_back(i);
        blend->weights.push_back(spec.prefixes[i].weight);
      }
    // Weights as given when every source takes part (the order stays what it always
    // was); over the ones that do otherwise. check_shares made both succeed.
    if (blend->sources.size() < g->sources_.size() && !blend->sources.empty()) normalise_shares(&blend->weights);
    blend->checkpoints.push_back(std::vector<uint64_t>(blend->sources.size(), 0));
    g->blend_.push_back(std::move(blend));
  }
  if (auto empty = g->empty_split(Split::kTrain)) {
    problems->push_back(*empty);
    return nullptr;
  }
  return g;
}

std::optional<Problem> GptDataset::empty_split(Split split) const {
  const int s = static_cast<int>(split);
  if (!blend_[s]->sources.empty()) return std::nullopt;
  std::string tokens;
  for (size_t i = 0; i < sources_.size(); ++i)
    tokens += (i ? ", " : "") + spec_.prefixes[i].path + ": " + std::to_string(sources_[i]->parts[s].tokens);
  return Problem{"data.data_prefix", std::string("no ") + split_name(s) + " sample (" + split_name(s) + " tokens per prefix: " + tokens + ")",
                 "a sample needs seq_length + 1 = " + std::to_string(spec_.seq_length + 1) +
                     " tokens in one prefix's " + split_name(s) + " share: give more text, a shorter "
                     "data.seq_length, or a larger " + split_name(s) + " share in data.splits_string"};
}

uint64_t GptDataset::samples(Split split) const {
  uint64_t n = 0;
  for (const auto& s : sources_) n += s->parts[static_cast<int>(split)].per_epoch;
  return n;
}

namespace {

// Megatron's build_blending_indices step: the source furthest behind its share (an
// index into BlendState::sources).
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

std::optional<Problem> GptDataset::sample(Split split, uint64_t index, int* tokens) const {
  const int s = static_cast<int>(split);
  if (auto empty = empty_split(split)) return empty;
  std::lock_guard<std::mutex> lock(mu_);
  BlendState& b = *blend_[s];
  size_t pick = 0;
  uint64_t k = index;
  if (b.sources.size() > 1) {
    const uint64_t c = index / kBlendStride;
    while (b.checkpoints.size() <= c) {
      std::vector<uint64_t> taken = b.checkpoints.back();
      const uint64_t from = (b.checkpoints.size() - 1) * kBlendStride;
      for (uint64_t i = from; i < from + kBlendStride; ++i) ++taken[blend_pick(b.weights, taken, i)];
      b.checkpoints.push_back(std::move(taken));
    }
    std::vector<uint64_t> taken = b.checkpoints[c];
    for (uint64_t i = c * kBlendStride; i < index; ++i) ++taken[blend_pick(b.weights, taken, i)];
    pick = blend_pick(b.weights, taken, index);
    k = taken[pick];
  }
  const size_t source = b.sources[pick];
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
    if (auto problem = src.read_doc(epoch->docs[pos], start - doc_begin, take, tokens, id_limit(spec_.vocab_size)))
      return problem;
    tokens += take;
    left -= take;
    start += take;
    ++pos;
  }
  return std::nullopt;
}

}  // namespace trn::data
