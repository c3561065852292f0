// Megatron's memory-mapped indexed dataset: PREFIX.bin (every sequence's token ids back
// to back, little-endian, no header) + PREFIX.idx (the index), as Megatron-LM's and
// NeMo's preprocess_data.py write it (megatron/core/datasets/indexed_dataset.py):
//   magic "MMIDIDX\0\0" (9 bytes) | version u64 = 1 | dtype code u8 | sequences N u64 |
//   document-index entries M u64 | sizes N x i32 | pointers N x i64 (byte offset of each
//   sequence in .bin) | document index M x i64 (first sequence of each document, 0 .. N).
// Dtype codes: 1 u8, 2 i8, 3 i16, 4 i32, 5 i64, 6 f64, 7 f32, 8 u16; token files use
// u16 when the vocabulary has fewer than 65,500 ids, else i32 (Megatron's rule).
// We write one sequence per document (no sentence splitting), so M = N + 1.
//
// Next to them `trn-train data` writes PREFIX.vocab.json (the vocabulary the ids come
// from and the largest id, see vocab_sidecar.h); NeMo/Megatron datasets have none.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/problem.h"

namespace trn::data {

enum class DType : uint8_t { kU8 = 1, kI8 = 2, kI16 = 3, kI32 = 4, kI64 = 5, kF64 = 6, kF32 = 7, kU16 = 8 };

inline constexpr char kIndexMagic[9] = {'M', 'M', 'I', 'D', 'I', 'D', 'X', '\0', '\0'};
inline constexpr uint64_t kIndexVersion = 1;
inline constexpr size_t kIndexHeaderBytes = 9 + 8 + 1 + 8 + 8;

// Bytes per element of an integer dtype; 0 for float codes and unknown ones.
size_t token_width(DType dtype);
// u16 below 65,500 ids, else i32.
DType dtype_for_vocab(int vocab_size);

// One dataset, read-only. The .idx is read whole into memory and validated completely
// against the .bin's length at open(); the .bin is never mapped: its ids are read with
// pread into the caller's buffer.
// Why not mmap (as Megatron does): a .bin truncated or replaced in place under a running
// trainer makes every later access of a mapped page past the new end a SIGBUS that kills
// the rank without a word. With pread the same event is a short read, reported as a Problem
// ("the file shrank"), and the ids are range-checked as they are read, so a .bin rewritten
// in place cannot put an id the model does not have into a batch either. The page cache
// keeps the cost of the reads (a few per sample) small next to a training step.
class IndexedDataset {
 public:
  // Both files are opened with open_regular (common/fs.h, links followed: the user names
  // them), so a FIFO, a folder or a device is refused at once instead of blocking or being
  // read forever. nullptr with one Problem (path, value found, fix) for the first mismatch.
  static std::unique_ptr<IndexedDataset> open(const std::string& prefix, Problems* problems);
  ~IndexedDataset();
  IndexedDataset(const IndexedDataset&) = delete;
  IndexedDataset& operator=(const IndexedDataset&) = delete;

  const std::string& prefix() const { return prefix_; }
  DType dtype() const { return dtype_; }
  uint64_t sequences() const { return sequences_; }
  uint64_t documents() const { return doc_entries_ - 1; }
  // Sequence range of document d: [document_start(d), document_start(d + 1)).
  uint64_t document_start(uint64_t d) const;
  uint32_t size(uint64_t seq) const;  // tokens in sequence `seq`
  uint64_t bin_bytes() const { return bin_bytes_; }
  // SHA-256 (hex) of the .idx as read at open(): what a PREFIX.vocab.json must record to
  // be believed (vocab_sidecar.h).
  std::string index_sha256() const;
  // Copies `count` ids of sequence `seq` from token `offset` on into out. Every id must lie
  // in [0, id_limit) (id_limit <= 2^31, so an id always fits an int unchanged); a Problem
  // naming the .bin when one does not, or when the .bin cannot be read (it shrank).
  std::optional<Problem> read(uint64_t seq, uint64_t offset, uint64_t count, int* out, int64_t id_limit) const;
  // Largest and smallest id in the .bin: one sequential pass; a Problem when it cannot be read.
  std::optional<Problem> token_range(int64_t* min_id, int64_t* max_id) const;

 private:
  IndexedDataset() = default;
  std::optional<Problem> read_bin(uint64_t at, size_t bytes, uint8_t* to) const;
  std::string prefix_;
  DType dtype_ = DType::kU16;
  uint64_t sequences_ = 0, doc_entries_ = 0, bin_bytes_ = 0;
  std::string idx_;                     // the whole .idx
  int bin_fd_ = -1;                     // the .bin, read with pread
  const uint8_t* sizes_ = nullptr;      // N x i32 inside idx_ (unaligned reads via memcpy)
  const uint8_t* pointers_ = nullptr;   // N x i64 inside idx_
  const uint8_t* doc_index_ = nullptr;  // M x i64 inside idx_
};

// Streams documents into PREFIX.bin/.idx: both are written to temp files and renamed
// into place by finish(), which first removes the old PREFIX.idx and PREFIX.vocab.json,
// then publishes the .bin, then the .idx (the caller writes the sidecar last). A crash
// or error at any point leaves the old files complete, or a .bin without an .idx, which
// the reader refuses; never a half-written file under the final name, never a .bin
// next to another run's .idx. start() removes the temp files of killed writers of this
// prefix (remove_dead_temps, kLeftoverAgeSeconds); the writer's own temp is removed on
// error, on destruction before finish() and on SIGINT/SIGTERM/SIGHUP. Not thread-safe.
class IndexedDatasetWriter {
 public:
  IndexedDatasetWriter(std::string prefix, DType dtype);
  ~IndexedDatasetWriter();  // removes the temp files unless finish() succeeded
  // False with *error (path and cause) when the temp file cannot be created.
  bool start(std::string* error);
  // Appends one document; ids must fit the dtype (the caller's tokenizer guarantees it).
  bool add_document(const int* ids, size_t count, std::string* error);
  bool finish(std::string* error);
  uint64_t tokens() const { return tokens_; }
  // Leftovers of killed writers that start() removed: path and bytes.
  const std::vector<std::pair<std::string, uint64_t>>& removed_leftovers() const { return removed_; }
  // A temp file nobody writes and nobody holds the lock of this long is a killed writer's.
  static constexpr double kLeftoverAgeSeconds = 600;

 private:
  bool flush(std::string* error);
  std::string prefix_, bin_temp_;
  DType dtype_;
  int fd_ = -1;
  std::string buffer_;                // pending .bin bytes
  std::vector<int32_t> sizes_;
  uint64_t tokens_ = 0;
  bool published_bin_ = false;
  std::vector<std::pair<std::string, uint64_t>> removed_;
};

}  // namespace trn::data
