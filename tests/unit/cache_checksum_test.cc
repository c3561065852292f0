// cache/checksum.h: SHA-256 through libcrypto, streamed over buffers and descriptors,
// failures as results.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <string>

#include "cache/checksum.h"
#include "common/fs.h"
#include "temp_dir.h"

using trn::cache::Sha256;
using trn::cache::sha256_fd;
using trn::cache::sha256_file;
using trn::cache::sha256_hex;

namespace {
const char kAbc[] = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
// FIPS 180-2's two-block message, "abcdbcdecdef...nopq" (56 bytes).
const char kTwoBlock[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
const char kTwoBlockDigest[] = "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1";
}  // namespace

TEST(CacheChecksum, StreamedInAnyPiecesEqualsOneShot) {
  EXPECT_EQ(sha256_hex(kTwoBlock), kTwoBlockDigest);
  const std::string text(kTwoBlock);
  for (size_t cut : {size_t(0), size_t(1), size_t(55), size_t(56)}) {
    Sha256 h;
    h.update(text.substr(0, cut));
    h.update(text.data() + cut, text.size() - cut);
    EXPECT_EQ(h.hex_digest(), kTwoBlockDigest) << "cut at " << cut;
    EXPECT_EQ(h.error(), "");
  }
}

TEST(CacheChecksum, SecondDigestIsAnErrorNotAValue) {
  Sha256 h;
  h.update("abc");
  EXPECT_EQ(h.hex_digest(), kAbc);
  EXPECT_EQ(h.hex_digest(), "");  // matches no recorded digest
  EXPECT_NE(h.error(), "");
}

TEST(CacheChecksum, DescriptorHashedUpToItsLimit) {
  trn::test::TempDir dir;
  const std::string path = dir.path + "/f";
  ASSERT_TRUE(trn::write_file_atomic(path, "abcdef", 0644, nullptr));
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  std::string hex, err;
  uint64_t size = 0;
  EXPECT_TRUE(sha256_fd(fd, 3, &hex, &size, &err)) << err;
  ::close(fd);
  EXPECT_EQ(hex, kAbc);
  EXPECT_EQ(size, 3u);
  EXPECT_TRUE(sha256_file(path, &hex, &size, &err)) << err;
  EXPECT_EQ(hex, sha256_hex("abcdef"));
  EXPECT_EQ(size, 6u);
}

TEST(CacheChecksum, UnreadableInputIsAResult) {
  std::string hex = "unchanged", err;
  EXPECT_FALSE(sha256_fd(-1, 10, &hex, nullptr, &err));
  EXPECT_NE(err, "");
  EXPECT_EQ(hex, "unchanged");
  err.clear();
  EXPECT_FALSE(sha256_file("/nonexistent/trn-checksum", &hex, nullptr, &err));
  EXPECT_NE(err.find("/nonexistent/trn-checksum"), std::string::npos) << err;
}

// libcrypto is started without openssl.cnf: `cache verify` may run as root with a caller's
// environment, and OPENSSL_CONF could name a config that loads provider modules or, as here,
// activates only the legacy provider, which has no SHA-256. Run in a fresh process (the
// threadsafe death-test style re-executes this binary), since only the first start counts.
TEST(CacheChecksumDeathTest, IgnoresOpensslConf) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  trn::test::TempDir dir;
  const std::string conf = dir.path + "/openssl.cnf";
  ASSERT_TRUE(trn::write_file_atomic(conf,
                                     "openssl_conf = init\n[init]\nproviders = providers\n"
                                     "[providers]\nlegacy = legacy\n[legacy]\nactivate = 1\n",
                                     0644, nullptr));
  EXPECT_EXIT(
      {
        ::setenv("OPENSSL_CONF", conf.c_str(), 1);
        Sha256 h;
        h.update("abc");
        const std::string hex = h.hex_digest();
        if (hex != kAbc) fprintf(stderr, "digest \"%s\": %s\n", hex.c_str(), h.error().c_str());
        ::_exit(hex == kAbc ? 0 : 1);
      },
      testing::ExitedWithCode(0), "");
}
