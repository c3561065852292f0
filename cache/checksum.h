// SHA-256 for cache keys and artifact checksums.
//
// Why our own: the cache must not depend on OpenSSL being installed on every
// compute node, and the keys must be stable across hosts and releases (a
// content address, unlike ccache's mtime+size compiler check, which lies on NFS).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace trn::cache {

class Sha256 {
 public:
  Sha256();
  void update(const void* data, size_t len);
  void update(std::string_view s) { update(s.data(), s.size()); }
  std::string hex_digest();  // 64 lowercase hex chars; call once

 private:
  void block(const uint8_t* p);
  uint32_t h_[8];
  uint8_t buf_[64];
  size_t buf_len_ = 0;
  uint64_t total_ = 0;
};

std::string sha256_hex(std::string_view data);

// Hashes at most `limit` bytes of an open descriptor (the size fstat gave: a file that
// grows while it is hashed is not followed); *size receives the bytes hashed.
bool sha256_fd(int fd, uint64_t limit, std::string* hex, uint64_t* size, std::string* error);

// Hashes a whole file, following links (for compiler binaries, which often are
// links; never for cache content, see sha256_fd). Returns false (errno-style message in *error) when it
// cannot be read; *size receives the byte count.
bool sha256_file(const std::string& path, std::string* hex, uint64_t* size, std::string* error);

}  // namespace trn::cache
