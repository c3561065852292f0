#include "data/vocab_sidecar.h"

#include <fcntl.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "cache/checksum.h"
#include "common/fs.h"

namespace trn::data {

std::string vocab_sidecar_path(const std::string& prefix) { return prefix + ".vocab.json"; }

bool write_vocab_sidecar(const std::string& prefix, const VocabRecord& r, std::string* error) {
  const std::string idx = prefix + ".idx";
  struct stat st {};
  std::string idx_sha256, why;
  const int fd = open_regular(AT_FDCWD, idx, &st, error, Links::kFollow);
  if (fd < 0) return false;
  uint64_t hashed = 0;
  const bool hashed_ok = cache::sha256_fd(fd, static_cast<uint64_t>(st.st_size), &idx_sha256, &hashed, &why);
  ::close(fd);
  if (!hashed_ok) {
    *error = idx + ": " + why;
    return false;
  }
  const nlohmann::ordered_json j = {{"vocab_size", r.vocab_size}, {"max_token_id", r.max_token_id},
                                    {"tokenizer", r.tokenizer},    {"bin_bytes", r.bin_bytes},
                                    {"idx_sha256", idx_sha256},    {"documents", r.documents},
                                    {"tokens", r.tokens}};
  return write_file_atomic(vocab_sidecar_path(prefix), j.dump(1) + "\n", 0644, error);
}

std::optional<VocabRecord> parse_vocab_sidecar(const std::string& text) {
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object()) return std::nullopt;
  auto has = [&](const char* key, bool (nlohmann::json::*is)() const noexcept) {
    return j.contains(key) && (j[key].*is)();
  };
  // Each field is read only when its JSON type fits it (get<> would throw otherwise).
  if (!has("vocab_size", &nlohmann::json::is_number_integer) ||
      !has("max_token_id", &nlohmann::json::is_number_integer) ||
      !has("bin_bytes", &nlohmann::json::is_number_unsigned))
    return std::nullopt;
  const int64_t vocab = j["vocab_size"].get<int64_t>();
  if (vocab < 0 || vocab > INT32_MAX) return std::nullopt;
  VocabRecord r;
  r.vocab_size = static_cast<int>(vocab);
  r.max_token_id = j["max_token_id"].get<int64_t>();
  r.bin_bytes = j["bin_bytes"].get<uint64_t>();
  if (has("tokenizer", &nlohmann::json::is_string)) r.tokenizer = j["tokenizer"].get<std::string>();
  if (has("idx_sha256", &nlohmann::json::is_string)) r.idx_sha256 = j["idx_sha256"].get<std::string>();
  if (has("documents", &nlohmann::json::is_number_unsigned)) r.documents = j["documents"].get<uint64_t>();
  if (has("tokens", &nlohmann::json::is_number_unsigned)) r.tokens = j["tokens"].get<uint64_t>();
  return r;
}

bool read_vocab_sidecar(const std::string& prefix, VocabRecord* r) {
  std::string text;
  if (!read_regular_file(vocab_sidecar_path(prefix), kMaxRecordBytes, &text, nullptr, nullptr, Links::kFollow))
    return false;
  auto record = parse_vocab_sidecar(text);
  if (record) *r = *record;
  return record.has_value();
}

}  // namespace trn::data
