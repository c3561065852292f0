#!/usr/bin/env bash
# TEST DOUBLE for a graph compiler (neuronx-cc / the native engine's c++), used by
# the cache's stress tests and benchmarks. Usage: cache_test_compiler.sh IN OUT
#   * "compiles" IN by sleeping CACHE_TEST_COMPILE_S seconds (default 1) and
#     writing a deterministic artifact derived from IN's content to OUT, in
#     small pieces so a kill -9 mid-write leaves a partial file behind;
#     sleeping instead of burning CPU stands for a compile on the node's own cores
#     (the emulated nodes of tests/cluster share this host's 2 CPUs);
#   * appends one line "<host> <pid> <IN>" to CACHE_TEST_COMPILER_LOG, if set,
#     so tests can count compiler invocations across all nodes;
#   * fails with exit 70 if IN contains "FAIL70", kills itself with SIGKILL
#     (like the OOM killer) if it contains "OOM9".
set -u
in=$1 out=$2
[ -n "${CACHE_TEST_COMPILER_LOG:-}" ] && echo "${SLURMD_NODENAME:-$(hostname)} $$ $in" >> "$CACHE_TEST_COMPILER_LOG"
echo "test compiler: compiling $in"
half=$(awk "BEGIN{print ${CACHE_TEST_COMPILE_S:-1}/2}")
sum=$(sha256sum "$in" | cut -c1-64)
printf 'artifact-part1 %s\n' "$sum" > "$out"
sleep "$half"
if grep -q FAIL70 "$in"; then echo "internal compiler error (test double)" >&2; exit 70; fi
if grep -q OOM9 "$in"; then kill -9 $$; fi
sleep "$half"
printf 'artifact-part2 %s\n' "$(cat "$in")" >> "$out"
