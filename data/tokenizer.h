// The tokenizers `trn-train data` writes datasets with, and that a trainer's generate
// mode can use to turn a prompt into ids and ids back into text.
//  * "byte": built in, needs no file. Ids 0..255 are the UTF-8 bytes, 256 is <eos>
//    (end of document); vocab_size 257.
//  * a SentencePiece model file (Llama-2's tokenizer.model, or one `trn-train data
//    --train-tokenizer` made): ids and vocab_size as the model says; <eos> is its eos id.
// No BOS is prepended (NeMo's preprocessing does not either).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/problem.h"

namespace trn::data {

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;
  // `name` is "byte" or the path of a SentencePiece model; `key` names the option or config
  // key in Problems (e.g. "--tokenizer-model", "data.tokenizer.model").
  static std::unique_ptr<Tokenizer> open(const std::string& name, const std::string& key, Problems* problems);

  // Thread-safe (const): `trn-train data` encodes from several threads at once.
  virtual void encode(std::string_view text, std::vector<int>* ids) const = 0;
  virtual std::string decode(const std::vector<int>& ids) const = 0;
  virtual int vocab_size() const = 0;
  virtual int eos_id() const = 0;
  virtual std::string name() const = 0;  // "byte" or "sentencepiece:<absolute path>", recorded in the sidecar
};

// The largest vocabulary --train-tokenizer makes: SentencePiece's unigram trainer starts
// from at most seed_sentencepiece_size (1,000,000) candidate pieces and only removes
// some, so no larger model can come out, and a --vocab-size near INT_MAX keeps its EM
// loop from ever finishing. (Llama-2 has 32,000 pieces, Gemma 256,000.)
inline constexpr int kMaxTrainedVocab = 1000000;
// Why a --vocab-size is refused, and what to give instead.
inline constexpr const char* kVocabSizeFix =
    "must be from 1 to 1000000: SentencePiece's trainer never yields more pieces than its 1,000,000 seed pieces "
    "(Llama-2 uses 32000)";

// Trains a SentencePiece model (unigram, full character coverage, byte fallback) of
// vocab_size pieces (1 .. kMaxTrainedVocab) on `documents`; writes model_prefix.model
// and model_prefix.vocab.
bool train_sentencepiece(const std::vector<std::string_view>& documents, int vocab_size,
                         const std::string& model_prefix, Problems* problems);

}  // namespace trn::data
