// PREFIX.vocab.json, written by `trn-train data` next to PREFIX.bin/.idx: the vocabulary
// the ids come from and the largest id, so a trainer can refuse a dataset made with a
// bigger tokenizer than its model before step 1 without scanning the .bin. Datasets
// from NeMo/Megatron tools have none; then the trainer scans (GptDataset::open).
//   {"vocab_size": 32000, "max_token_id": 31999, "tokenizer": "sentencepiece:/p/tokenizer.model",
//    "bin_bytes": 123456, "documents": 10, "tokens": 61728}
// bin_bytes ties the record to its .bin: a record whose .bin has another length is ignored.
#pragma once

#include <cstdint>
#include <string>

namespace trn::data {

struct VocabRecord {
  int vocab_size = 0;
  int64_t max_token_id = -1;
  std::string tokenizer;
  uint64_t bin_bytes = 0;
  uint64_t documents = 0;
  uint64_t tokens = 0;
};

std::string vocab_sidecar_path(const std::string& prefix);
bool write_vocab_sidecar(const std::string& prefix, const VocabRecord& record, std::string* error);
// False when there is none or it cannot be parsed (then it is as if there were none).
bool read_vocab_sidecar(const std::string& prefix, VocabRecord* record);

}  // namespace trn::data
