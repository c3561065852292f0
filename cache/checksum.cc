#include "cache/checksum.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "common/fs.h"

namespace trn::cache {
namespace {

// Once per process, before any other libcrypto call: no openssl.cnf. A plain digest needs
// nothing from it, and `trn-train cache verify` may run as root with a caller's environment,
// where OPENSSL_CONF could name a config that loads provider modules.
bool crypto_ready() {
  static const bool ready = OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG, nullptr) == 1;
  return ready;
}

std::string openssl_reason() {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "no reason given";
  char buf[256];
  ERR_error_string_n(code, buf, sizeof buf);
  return buf;
}

}  // namespace

void Sha256::CtxFree::operator()(evp_md_ctx_st* ctx) const { EVP_MD_CTX_free(ctx); }

void Sha256::fail(const char* what) {
  if (error_.empty()) error_ = std::string("libcrypto SHA-256: ") + what + " failed (" + openssl_reason() + ")";
  ctx_.reset();
}

Sha256::Sha256() {
  if (!crypto_ready()) {
    fail("initialisation");
    return;
  }
  ctx_.reset(EVP_MD_CTX_new());
  if (!ctx_) fail("EVP_MD_CTX_new");
  else if (EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr) != 1) fail("EVP_DigestInit_ex");
}

void Sha256::update(const void* data, size_t len) {
  if (ctx_ && len > 0 && EVP_DigestUpdate(ctx_.get(), data, len) != 1) fail("EVP_DigestUpdate");
}

std::string Sha256::hex_digest() {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (!ctx_) {
    if (error_.empty()) error_ = "libcrypto SHA-256: hex_digest called twice";
    return "";
  }
  if (EVP_DigestFinal_ex(ctx_.get(), md, &n) != 1 || n != 32) {
    fail("EVP_DigestFinal_ex");
    return "";
  }
  ctx_.reset();
  static const char* hex = "0123456789abcdef";
  std::string out;
  out.reserve(2 * n);
  for (unsigned i = 0; i < n; ++i) {
    out.push_back(hex[md[i] >> 4]);
    out.push_back(hex[md[i] & 0xf]);
  }
  return out;
}

std::string sha256_hex(std::string_view data) {
  Sha256 h;
  h.update(data);
  return h.hex_digest();
}

// Both file forms finish the same way: a libcrypto failure is a read failure to the caller.
static bool finish(Sha256& h, std::string* hex, std::string* error) {
  std::string digest = h.hex_digest();
  if (digest.empty()) {
    if (error) *error = h.error();
    return false;
  }
  if (hex) *hex = std::move(digest);
  return true;
}

bool sha256_fd(int fd, uint64_t limit, std::string* hex, uint64_t* size, std::string* error) {
  Sha256 h;
  int64_t n = read_fd_chunks(fd, limit, [&](const char* p, size_t len) { h.update(p, len); }, error);
  if (n < 0 || !finish(h, hex, error)) return false;
  if (size) *size = uint64_t(n);
  return true;
}

bool sha256_file(const std::string& path, std::string* hex, uint64_t* size, std::string* error) {
  Sha256 h;
  uint64_t n = 0;
  if (!read_file_chunks(path, [&](const char* p, size_t len) { h.update(p, len); n += len; }, error)) return false;
  if (!finish(h, hex, error)) return false;
  if (size) *size = n;
  return true;
}

}  // namespace trn::cache
