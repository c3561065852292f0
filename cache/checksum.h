// SHA-256 for cache keys, artifact checksums, checkpoints and the data tool's sidecar,
// computed by libcrypto (OpenSSL's EVP interface): its SHA-NI/AVX2 code is several times
// faster than a portable loop, on the path that verifies every entry of a shared cache.
// The keys stay a content address, stable across hosts and releases (unlike ccache's
// mtime+size compiler check, which lies on NFS).
//
// Errors are results: a libcrypto failure (no memory, a provider that will not load) makes
// hex_digest() return "" with error() saying why, which matches no recorded digest, and makes
// sha256_fd/sha256_file return false. Nothing here throws.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

struct evp_md_ctx_st;  // OpenSSL's EVP_MD_CTX; callers need no OpenSSL header

namespace trn::cache {

class Sha256 {
 public:
  Sha256();
  void update(const void* data, size_t len);
  void update(std::string_view s) { update(s.data(), s.size()); }
  // 64 lowercase hex chars, or "" when libcrypto failed (error() says why). Call once.
  std::string hex_digest();
  const std::string& error() const { return error_; }

 private:
  struct CtxFree {
    void operator()(evp_md_ctx_st* ctx) const;
  };
  void fail(const char* what);
  std::unique_ptr<evp_md_ctx_st, CtxFree> ctx_;
  std::string error_;
};

// "" only when libcrypto failed (see Sha256::hex_digest).
std::string sha256_hex(std::string_view data);

// Hashes at most `limit` bytes of an open descriptor (the size fstat gave: a file that
// grows while it is hashed is not followed); *size receives the bytes hashed.
bool sha256_fd(int fd, uint64_t limit, std::string* hex, uint64_t* size, std::string* error);

// Hashes a whole file, following links (for compiler binaries, which often are
// links; never for cache content, see sha256_fd). Returns false (errno-style message in *error) when it
// cannot be read; *size receives the byte count.
bool sha256_file(const std::string& path, std::string* hex, uint64_t* size, std::string* error);

}  // namespace trn::cache
