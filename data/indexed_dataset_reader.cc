// Validation order follows the layout: every check that fails names the file, what it
// holds and what to do, so a dataset copied half-way or paired with the wrong .bin is
// refused before training starts rather than read past its end.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>

#include "data/indexed_dataset.h"

namespace trn::data {
namespace {

const char* kRebuild = "rebuild the dataset (trn-train data, or Megatron/NeMo preprocess_data.py) or copy both files again";

template <typename T>
T load(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

// Maps `path` read-only; *bytes its length. A zero-length file maps to nullptr.
bool map_file(const std::string& path, const uint8_t** data, size_t* bytes, Problems* problems) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  struct stat st {};
  if (fd < 0 || ::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    const std::string why = fd < 0 ? std::strerror(errno) : "not a regular file";
    if (fd >= 0) ::close(fd);
    problems->push_back({path, why, "data.data_prefix names PREFIX of PREFIX.bin and PREFIX.idx; give an existing "
                                    "dataset (trn-train data --output-prefix writes one)"});
    return false;
  }
  *bytes = static_cast<size_t>(st.st_size);
  *data = nullptr;
  if (*bytes > 0) {
    void* m = ::mmap(nullptr, *bytes, PROT_READ, MAP_SHARED, fd, 0);
    if (m == MAP_FAILED) {
      problems->push_back({path, std::strerror(errno), "cannot be mapped; check the file system"});
      ::close(fd);
      return false;
    }
    *data = static_cast<const uint8_t*>(m);
  }
  ::close(fd);
  return true;
}

bool fail(Problems* problems, const std::string& path, const std::string& value, const std::string& fix) {
  problems->push_back({path, value, fix});
  return false;
}

}  // namespace

IndexedDataset::~IndexedDataset() {
  if (idx_) ::munmap(const_cast<uint8_t*>(idx_), idx_bytes_);
  if (bin_) ::munmap(const_cast<uint8_t*>(bin_), bin_bytes_);
}

std::unique_ptr<IndexedDataset> IndexedDataset::open(const std::string& prefix, Problems* problems) {
  std::unique_ptr<IndexedDataset> d(new IndexedDataset);
  d->prefix_ = prefix;
  const std::string idx = prefix + ".idx", bin = prefix + ".bin";
  size_t bin_bytes = 0;
  if (!map_file(idx, &d->idx_, &d->idx_bytes_, problems) || !map_file(bin, &d->bin_, &bin_bytes, problems))
    return nullptr;
  d->bin_bytes_ = bin_bytes;
  const uint8_t* p = d->idx_;
  const size_t n_bytes = d->idx_bytes_;
  if (n_bytes < kIndexHeaderBytes || std::memcmp(p, kIndexMagic, sizeof kIndexMagic) != 0) {
    fail(problems, idx, n_bytes < kIndexHeaderBytes ? std::to_string(n_bytes) + " bytes" : "no MMIDIDX magic",
         "not a Megatron mmap index (.idx starts with MMIDIDX\\0\\0); " + std::string(kRebuild));
    return nullptr;
  }
  const uint64_t version = load<uint64_t>(p + 9);
  if (version != kIndexVersion) {
    fail(problems, idx, "version " + std::to_string(version), "only index version 1 exists; " + std::string(kRebuild));
    return nullptr;
  }
  const uint8_t code = p[17];
  d->dtype_ = static_cast<DType>(code);
  if (token_width(d->dtype_) == 0) {
    fail(problems, idx, "dtype code " + std::to_string(code),
         "token ids must be an integer dtype (1 u8, 2 i8, 3 i16, 4 i32, 5 i64, 8 u16); " + std::string(kRebuild));
    return nullptr;
  }
  const uint64_t n = load<uint64_t>(p + 18), m = load<uint64_t>(p + 26);
  d->sequences_ = n;
  d->doc_entries_ = m;
  // 12 bytes per sequence plus 8 per document entry; checked without overflow.
  const uint64_t room = (n_bytes - kIndexHeaderBytes);
  if (n > room / 12 || m < 1 || m > (room - n * 12) / 8 || kIndexHeaderBytes + n * 12 + m * 8 != n_bytes) {
    fail(problems, idx, std::to_string(n) + " sequences, " + std::to_string(m) + " document entries in " +
                            std::to_string(n_bytes) + " bytes",
         "the index's length does not match its header (truncated or not an index); " + std::string(kRebuild));
    return nullptr;
  }
  d->sizes_ = p + kIndexHeaderBytes;
  const uint8_t* pointers = d->sizes_ + n * 4;
  d->doc_index_ = pointers + n * 8;
  const uint64_t width = token_width(d->dtype_);
  uint64_t expected = 0;
  for (uint64_t i = 0; i < n; ++i) {
    const int32_t size = load<int32_t>(d->sizes_ + i * 4);
    const int64_t pointer = load<int64_t>(pointers + i * 8);
    // Back to back from byte 0; that the last one ends at the .bin's end is checked below.
    if (size < 0 || pointer < 0 || static_cast<uint64_t>(pointer) != expected) {
      fail(problems, idx, "sequence " + std::to_string(i) + ": size " + std::to_string(size) + " at byte " +
                              std::to_string(pointer) + " (expected byte " + std::to_string(expected) + ")",
           "the index is inconsistent (sequences must lie back to back in the .bin); " + std::string(kRebuild));
      return nullptr;
    }
    expected += static_cast<uint64_t>(size) * width;
  }
  if (expected != bin_bytes) {
    fail(problems, bin, std::to_string(bin_bytes) + " bytes",
         "the index promises " + std::to_string(expected) + " bytes (" + std::to_string(expected / width) +
             " tokens); the .bin was truncated, extended or belongs to another index; " + std::string(kRebuild));
    return nullptr;
  }
  int64_t previous = -1;
  for (uint64_t i = 0; i < m; ++i) {
    const int64_t start = load<int64_t>(d->doc_index_ + i * 8);
    const bool ok = i == 0 ? start == 0 : (start >= previous && static_cast<uint64_t>(start) <= n);
    if (!ok || (i + 1 == m && static_cast<uint64_t>(start) != n)) {
      fail(problems, idx, "document index entry " + std::to_string(i) + " = " + std::to_string(start),
           "document starts must rise from 0 to the sequence count " + std::to_string(n) + "; " +
               std::string(kRebuild));
      return nullptr;
    }
    previous = start;
  }
  return d;
}

uint64_t IndexedDataset::document_start(uint64_t doc) const {
  return static_cast<uint64_t>(load<int64_t>(doc_index_ + doc * 8));
}

uint32_t IndexedDataset::size(uint64_t seq) const { return static_cast<uint32_t>(load<int32_t>(sizes_ + seq * 4)); }

namespace {

template <typename T>
void copy_ids(const uint8_t* from, uint64_t count, int* out) {
  for (uint64_t i = 0; i < count; ++i) out[i] = static_cast<int>(load<T>(from + i * sizeof(T)));
}

template <typename T>
void scan(const uint8_t* from, uint64_t count, int64_t* lo, int64_t* hi) {
  T mn = std::numeric_limits<T>::max(), mx = std::numeric_limits<T>::lowest();
  for (uint64_t i = 0; i < count; ++i) {
    const T v = load<T>(from + i * sizeof(T));
    mn = std::min(mn, v);
    mx = std::max(mx, v);
  }
  if (count > 0) {
    *lo = std::min<int64_t>(*lo, static_cast<int64_t>(mn));
    *hi = std::max<int64_t>(*hi, static_cast<int64_t>(mx));
  }
}

}  // namespace

void IndexedDataset::read(uint64_t seq, uint64_t offset, uint64_t count, int* out) const {
  const uint64_t width = token_width(dtype_);
  const uint8_t* from = bin_ + static_cast<uint64_t>(load<int64_t>(sizes_ + sequences_ * 4 + seq * 8)) + offset * width;
  switch (dtype_) {
    case DType::kU8: copy_ids<uint8_t>(from, count, out); break;
    case DType::kI8: copy_ids<int8_t>(from, count, out); break;
    case DType::kI16: copy_ids<int16_t>(from, count, out); break;
    case DType::kU16: copy_ids<uint16_t>(from, count, out); break;
    case DType::kI32: copy_ids<int32_t>(from, count, out); break;
    default: copy_ids<int64_t>(from, count, out); break;
  }
}

void IndexedDataset::token_range(int64_t* min_id, int64_t* max_id) const {
  *min_id = std::numeric_limits<int64_t>::max();
  *max_id = -1;
  const uint64_t count = bin_bytes_ / token_width(dtype_);
  switch (dtype_) {
    case DType::kU8: scan<uint8_t>(bin_, count, min_id, max_id); break;
    case DType::kI8: scan<int8_t>(bin_, count, min_id, max_id); break;
    case DType::kI16: scan<int16_t>(bin_, count, min_id, max_id); break;
    case DType::kU16: scan<uint16_t>(bin_, count, min_id, max_id); break;
    case DType::kI32: scan<int32_t>(bin_, count, min_id, max_id); break;
    default: scan<int64_t>(bin_, count, min_id, max_id); break;
  }
  if (count == 0) *min_id = 0;
}

}  // namespace trn::data
