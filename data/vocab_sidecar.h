// PREFIX.vocab.json, written by `trn-train data` next to PREFIX.bin/.idx: the vocabulary
// the ids come from and the largest id, so a trainer can refuse a dataset made with a
// bigger tokenizer than its model before step 1 without scanning the .bin. Datasets
// from NeMo/Megatron tools have none; then the trainer scans (GptDataset::open).
//   {"vocab_size": 32000, "max_token_id": 31999, "tokenizer": "sentencepiece:/p/tokenizer.model",
//    "bin_bytes": 123456, "idx_sha256": "3a7f...", "documents": 10, "tokens": 61728}
// A record is believed only for the pair it was written for: the .bin's length and the
// SHA-256 of the .idx (which the reader reads whole anyway, so checking it costs no extra
// pass over the .bin) must both match. A length alone let a stale record from another
// tokenization of the same size vouch for ids it never saw; records without idx_sha256
// (written before it existed) are not believed: the trainer scans the ids instead.
// Whatever the record says, the trainer also range-checks every id it reads
// (IndexedDataset::read), so no record can put an id past the model's vocabulary into a batch.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace trn::data {

struct VocabRecord {
  int vocab_size = 0;
  int64_t max_token_id = -1;
  std::string tokenizer;
  uint64_t bin_bytes = 0;
  std::string idx_sha256;  // empty: an old record, never believed
  uint64_t documents = 0;
  uint64_t tokens = 0;
};

std::string vocab_sidecar_path(const std::string& prefix);
// Writes the record with idx_sha256 set from the PREFIX.idx now in place, so call it after
// the .idx is published (a record written before describes the old index and is ignored).
bool write_vocab_sidecar(const std::string& prefix, const VocabRecord& record, std::string* error);
// False when there is none or it cannot be parsed (then it is as if there were none).
bool read_vocab_sidecar(const std::string& prefix, VocabRecord* record);
// The record parsed from a sidecar's text; nullopt when it is not one (the fuzz target's entry).
std::optional<VocabRecord> parse_vocab_sidecar(const std::string& text);

}  // namespace trn::data
