// train_sentencepiece: SentencePiece's own trainer (libsentencepiece_train), fed the
// documents through its iterator interface so JSONL input needs no temporary text file.
#include <sentencepiece_trainer.h>

#include <algorithm>
#include <thread>
#include <unordered_map>

#include "data/tokenizer.h"

namespace trn::data {
namespace {

class Documents final : public sentencepiece::SentenceIterator {
 public:
  explicit Documents(const std::vector<std::string_view>& docs) : docs_(docs) { load(); }
  bool done() const override { return at_ >= docs_.size(); }
  void Next() override {
    ++at_;
    load();
  }
  const std::string& value() const override { return current_; }
  sentencepiece::util::Status status() const override { return sentencepiece::util::Status(); }

 private:
  void load() {
    if (!done()) current_.assign(docs_[at_].data(), docs_[at_].size());
  }
  const std::vector<std::string_view>& docs_;
  size_t at_ = 0;
  std::string current_;
};

}  // namespace

bool train_sentencepiece(const std::vector<std::string_view>& documents, int vocab_size,
                         const std::string& model_prefix, Problems* problems) {
  if (vocab_size < 1 || vocab_size > kMaxTrainedVocab) {
    problems->push_back({"--vocab-size", std::to_string(vocab_size), kVocabSizeFix});
    return false;
  }
  // unigram + byte fallback as Llama's tokenizer; hard_vocab_limit off so a small text
  // yields a smaller vocabulary instead of failing ("vocabulary size is too high").
  const std::unordered_map<std::string, std::string> args{
      {"model_prefix", model_prefix},
      {"vocab_size", std::to_string(vocab_size)},
      {"model_type", "unigram"},
      {"character_coverage", "1.0"},
      {"byte_fallback", "true"},
      {"hard_vocab_limit", "false"},
      {"max_sentence_length", "65536"},
      {"num_threads", std::to_string(std::max(1u, std::thread::hardware_concurrency()))},
      // The library's per-iteration INFO log (hundreds of lines) would bury our summary.
      {"minloglevel", "1"},
  };
  Documents docs(documents);
  const auto status = sentencepiece::SentencePieceTrainer::Train(args, &docs);
  if (!status.ok()) {
    problems->push_back({"--train-tokenizer", model_prefix + ".model", "SentencePiece training failed: " +
                                                                            status.ToString() +
                                                                            " (try a smaller --vocab-size or more text)"});
    return false;
  }
  return true;
}

}  // namespace trn::data
