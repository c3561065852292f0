#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/fs.h"
#include "data/indexed_dataset.h"
#include "data/vocab_sidecar.h"

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the .bin/.idx layout is little-endian; so is memcpy here");

namespace trn::data {
namespace {

constexpr size_t kFlushBytes = 4 << 20;

template <typename T>
void append_le(std::string* out, T v) {
  char b[sizeof(T)];
  std::memcpy(b, &v, sizeof(T));
  out->append(b, sizeof(T));
}

template <typename T>
void append_ids(std::string* out, const int* ids, size_t count) {
  const size_t at = out->size();
  out->resize(at + count * sizeof(T));
  char* p = out->data() + at;
  for (size_t i = 0; i < count; ++i, p += sizeof(T)) {
    const T v = static_cast<T>(ids[i]);
    std::memcpy(p, &v, sizeof(T));
  }
}

}  // namespace

size_t token_width(DType dtype) {
  switch (dtype) {
    case DType::kU8: case DType::kI8: return 1;
    case DType::kI16: case DType::kU16: return 2;
    case DType::kI32: return 4;
    case DType::kI64: return 8;
    default: return 0;
  }
}

DType dtype_for_vocab(int vocab_size) { return vocab_size < 65500 ? DType::kU16 : DType::kI32; }

IndexedDatasetWriter::IndexedDatasetWriter(std::string prefix, DType dtype)
    : prefix_(std::move(prefix)), dtype_(dtype) {}

IndexedDatasetWriter::~IndexedDatasetWriter() {
  if (fd_ >= 0) ::close(fd_);
  if (!bin_temp_.empty()) {
    if (!published_bin_) ::unlink(bin_temp_.c_str());
    forget_on_signal(bin_temp_);
  }
}

bool IndexedDatasetWriter::start(std::string* error) {
  for (const char* ext : {".bin", ".idx"})
    for (auto& [path, bytes] : remove_dead_temps(prefix_ + ext, kLeftoverAgeSeconds)) removed_.push_back({path, bytes});
  fd_ = create_locked_temp(prefix_ + ".bin", 0600, &bin_temp_, error);
  if (fd_ < 0) return false;
  remove_on_signal(bin_temp_);  // Ctrl-C or a job's SIGTERM leaves no temp behind
  return true;
}

bool IndexedDatasetWriter::flush(std::string* error) {
  const char* p = buffer_.data();
  size_t left = buffer_.size();
  while (left > 0) {
    const ssize_t n = ::write(fd_, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      *error = bin_temp_ + ": " + std::strerror(errno);
      return false;
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  buffer_.clear();
  return true;
}

bool IndexedDatasetWriter::add_document(const int* ids, size_t count, std::string* error) {
  switch (dtype_) {
    case DType::kU16: append_ids<uint16_t>(&buffer_, ids, count); break;
    case DType::kI32: append_ids<int32_t>(&buffer_, ids, count); break;
    case DType::kU8: append_ids<uint8_t>(&buffer_, ids, count); break;
    case DType::kI64: append_ids<int64_t>(&buffer_, ids, count); break;
    default: *error = prefix_ + ": the writer takes dtype u8, u16, i32 or i64"; return false;
  }
  sizes_.push_back(static_cast<int32_t>(count));
  tokens_ += count;
  return buffer_.size() < kFlushBytes || flush(error);
}

bool IndexedDatasetWriter::finish(std::string* error) {
  if (!flush(error)) return false;
  const uint64_t n = sizes_.size();
  std::string idx(kIndexMagic, sizeof kIndexMagic);
  idx.reserve(kIndexHeaderBytes + n * 12 + (n + 1) * 8);
  append_le<uint64_t>(&idx, kIndexVersion);
  append_le<uint8_t>(&idx, static_cast<uint8_t>(dtype_));
  append_le<uint64_t>(&idx, n);
  append_le<uint64_t>(&idx, n + 1);
  for (int32_t s : sizes_) append_le<int32_t>(&idx, s);
  int64_t pointer = 0;
  for (int32_t s : sizes_) {
    append_le<int64_t>(&idx, pointer);
    pointer += static_cast<int64_t>(s) * static_cast<int64_t>(token_width(dtype_));
  }
  for (uint64_t d = 0; d <= n; ++d) append_le<int64_t>(&idx, static_cast<int64_t>(d));
  // No moment at which a reader finds a new .bin next to an old .idx (or an old sidecar,
  // which the caller writes after this): the old ones go first, the .idx comes last.
  for (const std::string& old : {vocab_sidecar_path(prefix_), prefix_ + ".idx"}) {
    if (::unlink(old.c_str()) != 0 && errno != ENOENT) {
      *error = "cannot replace " + old + ": " + std::strerror(errno);
      return false;
    }
  }
  ::close(fd_);  // commit_file fsyncs through its own descriptor; the lock ends here
  fd_ = -1;
  if (!commit_file(bin_temp_, prefix_ + ".bin", 0644, error)) return false;
  published_bin_ = true;
  return write_file_atomic(prefix_ + ".idx", idx, 0644, error);
}

}  // namespace trn::data
