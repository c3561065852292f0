#include "data/tokenizer.h"

#include <sentencepiece_processor.h>

#include <cerrno>
#include <filesystem>

#include "common/fs.h"

namespace trn::data {
namespace {

class ByteTokenizer final : public Tokenizer {
 public:
  static constexpr int kEos = 256;
  void encode(std::string_view text, std::vector<int>* ids) const override {
    ids->reserve(ids->size() + text.size());
    for (unsigned char c : text) ids->push_back(c);
  }
  std::string decode(const std::vector<int>& ids) const override {
    std::string out;
    for (int id : ids)
      if (id >= 0 && id < 256) out.push_back(static_cast<char>(id));
    return out;
  }
  int vocab_size() const override { return kEos + 1; }
  int eos_id() const override { return kEos; }
  std::string name() const override { return "byte"; }
};

class SentencePieceTokenizer final : public Tokenizer {
 public:
  // Llama-2's model is 0.5 MB, a 256k-piece one (Gemma's) 4 MB; /dev/zero or a
  // dataset given by mistake must not be read into memory whole.
  static constexpr size_t kMaxModelBytes = 64 << 20;
  // The absolute path, so the name recorded in a dataset's sidecar finds the model from
  // any working directory (a trainer's generate mode reads it).
  explicit SentencePieceTokenizer(const std::string& path)
      : path_(std::filesystem::absolute(path).lexically_normal().string()) {}
  // The file through the one reader of files a user names (no FIFO, folder or device,
  // never blocking, at most kMaxModelBytes), then parsed from memory.
  bool load(std::string* why) {
    std::string bytes;
    if (!read_regular_file(path_, kMaxModelBytes, &bytes, why, nullptr, Links::kFollow)) {
      if (errno == EINVAL) *why = "not a regular file (a folder, device or FIFO)";
      else if (why->compare(0, path_.size() + 2, path_ + ": ") == 0) why->erase(0, path_.size() + 2);
      return false;
    }
    const auto status = sp_.LoadFromSerializedProto(absl::string_view(bytes.data(), bytes.size()));
    *why = "not a SentencePiece model (" + status.ToString() + ")";
    return status.ok() && sp_.GetPieceSize() > 0;
  }
  void encode(std::string_view text, std::vector<int>* ids) const override {
    std::vector<int> out;
    sp_.Encode(absl::string_view(text.data(), text.size()), &out).IgnoreError();  // fails only unloaded
    ids->insert(ids->end(), out.begin(), out.end());
  }
  std::string decode(const std::vector<int>& ids) const override {
    std::string out;
    sp_.Decode(ids, &out).IgnoreError();
    return out;
  }
  int vocab_size() const override { return sp_.GetPieceSize(); }
  int eos_id() const override { return sp_.eos_id(); }
  std::string name() const override { return "sentencepiece:" + path_; }

 private:
  std::string path_;
  sentencepiece::SentencePieceProcessor sp_;
};

}  // namespace

std::unique_ptr<Tokenizer> Tokenizer::open(const std::string& name, const std::string& key, Problems* problems) {
  if (name == "byte") return std::make_unique<ByteTokenizer>();
  auto sp = std::make_unique<SentencePieceTokenizer>(name);
  std::string why;
  if (!sp->load(&why)) {
    problems->push_back({key, name, why + ": give a tokenizer.model file (Llama-2's, or one made by trn-train data "
                                          "--train-tokenizer), or `byte` for the built-in one"});
    return nullptr;
  }
  if (sp->eos_id() < 0) {
    problems->push_back({key, name, "the SentencePiece model has no </s> (eos) piece, which ends each document; "
                                    "train it with eos_id set"});
    return nullptr;
  }
  return sp;
}

}  // namespace trn::data
