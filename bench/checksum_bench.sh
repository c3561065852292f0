#!/usr/bin/env bash
# SHA-256 speed of `trn-train cache verify` on a 1 GiB entry (run by `make bench`; BUILD is
# the build dir; CHECKSUM_BENCH_BYTES overrides the size, for the quick script test).
# Target: >= 3x the portable SHA-256 that cache/checksum.cc held before libcrypto.
#   new:    build/bench/checksum_bench (today's cache/checksum.cc, libcrypto's EVP SHA-256)
#   peer:   the same program compiled in this run against the old cache/checksum.{h,cc},
#           taken from git (the parent of the commit that removed them), so no copy of
#           the old code lives in the tree; without git history the peer is skipped
#   verify: `cache verify` of the same entry end to end (build/tests/cache_driver), the
#           command the target names; it hashes with the new code, so it is set against
#           the old hash alone (a lower bound of the old verify)
# Each figure is the best of 3 on a file in the page cache. MB/s are given by CPU time
# (user + system, what a loaded shared machine disturbs least; the target is judged on it)
# and by wall time.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-build}; case $build in /*) ;; *) build=$top/$build ;; esac
bytes=${CHECKSUM_BENCH_BYTES:-1073741824}
work=$(mktemp -d /tmp/trn-checksum-bench.XXXXXX); trap 'rm -rf "$work"' EXIT
mbs() { awk -v n="$1" -v t="$2" 'BEGIN { printf "%.0f", n / t / 1e6 }'; }

"$build/tests/cache_driver" populate --dir "$work/cache" --count 1 --bytes "$bytes" --quiet
artifact=$(find "$work/cache" -name model.neff -type f)
cat "$artifact" > /dev/null   # into the page cache: every figure below reads it from memory

read -r size new_s new_cpu new_hex < <("$build/bench/checksum_bench" "$artifact" 3)
echo "libcrypto sha256_fd: $size bytes: $(mbs "$size" "$new_cpu") MB/s by CPU ($new_cpu s), $(mbs "$size" "$new_s") MB/s by wall"

v_cpu="" v_wall=""
TIMEFORMAT='%R %U %S'
for _ in 1 2 3; do
  { time "$build/tests/cache_driver" cache verify --dir "$work/cache" > "$work/verify.out"; } 2> "$work/time"
  read -r wall user sys < "$work/time"
  v_cpu=$(awk -v u="$user" -v s="$sys" -v b="$v_cpu" 'BEGIN { t = u + s; print (b == "" || t < b) ? t : b }')
  v_wall=$(awk -v t="$wall" -v b="$v_wall" 'BEGIN { print (b == "" || t < b) ? t : b }')
done
echo "cache verify (end to end, libcrypto): $(mbs "$size" "$v_cpu") MB/s by CPU ($v_cpu s), $(mbs "$size" "$v_wall") MB/s by wall"

# The first commit whose checksum.cc calls libcrypto; its parent holds the portable code.
gone=$(git -C "$top" log --reverse --format=%H -S EVP_DigestInit_ex -- cache/checksum.cc 2>/dev/null | head -1 || true)
if [ -z "$gone" ] || ! git -C "$top" cat-file -e "$gone^:cache/checksum.cc" 2>/dev/null; then
  echo "peer: skipped (no git history holding the portable SHA-256)"
  exit 0
fi
mkdir -p "$work/old/cache"
git -C "$top" show "$gone^:cache/checksum.h" > "$work/old/cache/checksum.h"
git -C "$top" show "$gone^:cache/checksum.cc" > "$work/old/cache/checksum.cc"
# -I old first: "cache/checksum.h" is the old header for both files; common/fs.h is today's.
# A sanitizer build's library needs the sanitizers' runtime at link time.
san=""
# (grep without -q reads all of nm's output: under pipefail an early exit would fail nm.)
if nm "$build/lib/libtrncommon.a" 2>/dev/null | grep '__asan_' >/dev/null; then san="-fsanitize=address,undefined"; fi
${CXX:-g++} -std=c++17 -O2 -g $san -I"$work/old" -I"$top" -o "$work/old_bench" "$top/bench/checksum_bench.cc" \
  "$work/old/cache/checksum.cc" "$build/lib/libtrncommon.a"
read -r _ old_s old_cpu old_hex < <("$work/old_bench" "$artifact" 3)
echo "portable sha256_fd (before ${gone:0:10}): $(mbs "$size" "$old_cpu") MB/s by CPU ($old_cpu s), $(mbs "$size" "$old_s") MB/s by wall"
[ "$old_hex" = "$new_hex" ] || { echo "digests differ: $old_hex vs $new_hex" >&2; exit 1; }
awk -v o="$old_cpu" -v n="$new_cpu" -v v="$v_cpu" -v ow="$old_s" -v nw="$new_s" 'BEGIN {
  printf "speed-up by CPU: hash %.1fx, cache verify vs the old hash alone %.1fx (by wall: hash %.1fx): target >= 3x: %s\n",
         o / n, o / v, ow / nw, (o / v >= 3 ? "met" : "MISSED") }'
