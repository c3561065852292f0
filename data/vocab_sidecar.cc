#include "data/vocab_sidecar.h"

#include <nlohmann/json.hpp>

#include "common/fs.h"

namespace trn::data {

std::string vocab_sidecar_path(const std::string& prefix) { return prefix + ".vocab.json"; }

bool write_vocab_sidecar(const std::string& prefix, const VocabRecord& r, std::string* error) {
  const nlohmann::ordered_json j = {{"vocab_size", r.vocab_size}, {"max_token_id", r.max_token_id},
                                    {"tokenizer", r.tokenizer},    {"bin_bytes", r.bin_bytes},
                                    {"documents", r.documents},    {"tokens", r.tokens}};
  return write_file_atomic(vocab_sidecar_path(prefix), j.dump(1) + "\n", 0644, error);
}

bool read_vocab_sidecar(const std::string& prefix, VocabRecord* r) {
  std::string text;
  if (!read_regular_file(vocab_sidecar_path(prefix), kMaxRecordBytes, &text, nullptr, nullptr, Links::kFollow))
    return false;
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object()) return false;
  auto num = [&](const char* key) { return j.contains(key) && j[key].is_number_integer(); };
  if (!num("vocab_size") || !num("max_token_id") || !num("bin_bytes")) return false;
  r->vocab_size = j["vocab_size"].get<int>();
  r->max_token_id = j["max_token_id"].get<int64_t>();
  r->bin_bytes = j["bin_bytes"].get<uint64_t>();
  r->tokenizer = j.value("tokenizer", "");
  r->documents = j.value("documents", uint64_t{0});
  r->tokens = j.value("tokens", uint64_t{0});
  return true;
}

}  // namespace trn::data
