// Validation order follows the layout: every check that fails names the file, what it
// holds and what to do, so a dataset copied half-way or paired with the wrong .bin is
// refused before training starts rather than read past its end.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>

#include "cache/checksum.h"
#include "common/fs.h"
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

// Opens `path` (a regular file; links followed, never blocking); -1 with a Problem.
int open_input(const std::string& path, struct stat* st, Problems* problems) {
  std::string error;
  const int fd = open_regular(AT_FDCWD, path, st, &error, Links::kFollow);
  if (fd < 0) {
    const std::string why = error.rfind(path + ": ", 0) == 0 ? error.substr(path.size() + 2) : error;
    problems->push_back({path, why, "data.data_prefix names PREFIX of PREFIX.bin and PREFIX.idx; give an existing "
                                    "dataset (trn-train data --output-prefix writes one)"});
  }
  return fd;
}

bool fail(Problems* problems, const std::string& path, const std::string& value, const std::string& fix) {
  problems->push_back({path, value, fix});
  return false;
}

}  // namespace

IndexedDataset::~IndexedDataset() {
  if (bin_fd_ >= 0) ::close(bin_fd_);
}

std::unique_ptr<IndexedDataset> IndexedDataset::open(const std::string& prefix, Problems* problems) {
  std::unique_ptr<IndexedDataset> d(new IndexedDataset);
  d->prefix_ = prefix;
  const std::string idx = prefix + ".idx", bin = prefix + ".bin";
  struct stat st {};
  const int idx_fd = open_input(idx, &st, problems);
  if (idx_fd < 0) return nullptr;
  d->idx_.reserve(static_cast<size_t>(st.st_size));
  std::string error;
  const int64_t got = read_fd_chunks(
      idx_fd, static_cast<uint64_t>(st.st_size), [&](const char* p, size_t n) { d->idx_.append(p, n); }, &error);
  ::close(idx_fd);
  if (got < 0) {
    fail(problems, idx, error, "cannot be read; check the file system");
    return nullptr;
  }
  d->bin_fd_ = open_input(bin, &st, problems);
  if (d->bin_fd_ < 0) return nullptr;
  const uint64_t bin_bytes = static_cast<uint64_t>(st.st_size);
  d->bin_bytes_ = bin_bytes;
  const uint8_t* p = reinterpret_cast<const uint8_t*>(d->idx_.data());
  const size_t n_bytes = d->idx_.size();
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
  const uint8_t* pointers = d->pointers_ = d->sizes_ + n * 4;
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

// Ids of one dtype, converted to int after the range check (an i64 id of 2^32 + 5 must
// not pass as 5).
template <typename T>
bool copy_ids(const uint8_t* from, size_t count, int* out, int64_t limit, int64_t* bad) {
  for (size_t i = 0; i < count; ++i) {
    const int64_t v = static_cast<int64_t>(load<T>(from + i * sizeof(T)));
    if (v < 0 || v >= limit) {
      *bad = v;
      return false;
    }
    out[i] = static_cast<int>(v);
  }
  return true;
}

bool copy_ids(DType dtype, const uint8_t* from, size_t count, int* out, int64_t limit, int64_t* bad) {
  switch (dtype) {
    case DType::kU8: return copy_ids<uint8_t>(from, count, out, limit, bad);
    case DType::kI8: return copy_ids<int8_t>(from, count, out, limit, bad);
    case DType::kI16: return copy_ids<int16_t>(from, count, out, limit, bad);
    case DType::kU16: return copy_ids<uint16_t>(from, count, out, limit, bad);
    case DType::kI32: return copy_ids<int32_t>(from, count, out, limit, bad);
    default: return copy_ids<int64_t>(from, count, out, limit, bad);
  }
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

void scan(DType dtype, const uint8_t* from, uint64_t count, int64_t* lo, int64_t* hi) {
  switch (dtype) {
    case DType::kU8: return scan<uint8_t>(from, count, lo, hi);
    case DType::kI8: return scan<int8_t>(from, count, lo, hi);
    case DType::kI16: return scan<int16_t>(from, count, lo, hi);
    case DType::kU16: return scan<uint16_t>(from, count, lo, hi);
    case DType::kI32: return scan<int32_t>(from, count, lo, hi);
    default: return scan<int64_t>(from, count, lo, hi);
  }
}

}  // namespace

std::string IndexedDataset::index_sha256() const { return cache::sha256_hex(idx_); }

// A short read is the .bin shrinking after open() validated its length (a truncation or a
// replacement in place): reported, never read past (see indexed_dataset.h).
std::optional<Problem> IndexedDataset::read_bin(uint64_t at, size_t bytes, uint8_t* to) const {
  while (bytes > 0) {
    const ssize_t r = ::pread(bin_fd_, to, bytes, static_cast<off_t>(at));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) {
      struct stat st {};
      const std::string now = ::fstat(bin_fd_, &st) == 0 ? std::to_string(st.st_size) + " bytes" : "unreadable";
      return Problem{prefix_ + ".bin", r < 0 ? std::string(std::strerror(errno)) : now,
                     "the file shrank or became unreadable while training (it had " + std::to_string(bin_bytes_) +
                         " bytes at start): never rewrite a dataset in use; write a new prefix and restart "
                         "from the last checkpoint"};
    }
    to += r, at += static_cast<uint64_t>(r), bytes -= static_cast<size_t>(r);
  }
  return std::nullopt;
}

std::optional<Problem> IndexedDataset::read(uint64_t seq, uint64_t offset, uint64_t count, int* out,
                                            int64_t id_limit) const {
  const uint64_t width = token_width(dtype_);
  uint64_t at = static_cast<uint64_t>(load<int64_t>(pointers_ + seq * 8)) + offset * width;
  uint8_t buf[1 << 14];
  const uint64_t per_chunk = sizeof buf / width;
  while (count > 0) {
    const uint64_t n = std::min(count, per_chunk);
    if (auto problem = read_bin(at, static_cast<size_t>(n * width), buf)) return problem;
    int64_t bad = 0;
    if (!copy_ids(dtype_, buf, static_cast<size_t>(n), out, id_limit, &bad))
      return Problem{prefix_ + ".bin", "token id " + std::to_string(bad),
                     "ids must lie below the model's vocab_size " + std::to_string(id_limit) +
                         " (the ids checked when training started did): the .bin was rewritten while in use; "
                         "never rewrite a dataset in use: write a new prefix, then restart from the last "
                         "checkpoint"};
    out += n, count -= n, at += n * width;
  }
  return std::nullopt;
}

std::optional<Problem> IndexedDataset::token_range(int64_t* min_id, int64_t* max_id) const {
  *min_id = std::numeric_limits<int64_t>::max();
  *max_id = -1;
  const uint64_t width = token_width(dtype_);
  const uint64_t count = bin_bytes_ / width;
  std::vector<uint8_t> buf(std::size_t{1} << 20);
  for (uint64_t done = 0; done < count;) {
    const uint64_t n = std::min<uint64_t>(count - done, buf.size() / width);
    if (auto problem = read_bin(done * width, static_cast<size_t>(n * width), buf.data())) return problem;
    scan(dtype_, buf.data(), n, min_id, max_id);
    done += n;
  }
  if (count == 0) *min_id = 0;
  return std::nullopt;
}

}  // namespace trn::data
