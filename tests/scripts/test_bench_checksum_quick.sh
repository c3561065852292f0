# bench/checksum_bench.sh on a 4 MB entry (no timing asserted): the libcrypto hash, `cache verify`
# end to end and, where git history holds it, the portable SHA-256 built from git as the peer,
# which must give the same digest (the script fails otherwise).
source "$(dirname "$0")/lib.sh"
out=$(BUILD=$TRN_BUILD CHECKSUM_BENCH_BYTES=4000000 timeout 120 "$TRN_TOP/bench/checksum_bench.sh" 2>&1) ||
  fail "quick run failed: $out"
grep -Eq '^libcrypto sha256_fd: 4000[0-9]+ bytes: [0-9]+ MB/s by CPU \([0-9.]+ s\), [0-9]+ MB/s by wall$' <<<"$out" ||
  fail "libcrypto line: $out"
grep -Eq '^cache verify \(end to end, libcrypto\): [0-9]+ MB/s by CPU' <<<"$out" || fail "verify line: $out"
if ! grep -q '^peer: skipped' <<<"$out"; then
  grep -Eq '^portable sha256_fd \(before [0-9a-f]{10}\): [0-9]+ MB/s by CPU' <<<"$out" || fail "peer line: $out"
  grep -Eq '^speed-up by CPU: hash [0-9.]+x, cache verify vs the old hash alone [0-9.]+x .*target >= 3x: (met|MISSED)$' \
    <<<"$out" || fail "speed-up line: $out"
fi
