#!/usr/bin/env bash
# TEST DOUBLE for a graph compiler (neuronx-cc / the native engine's c++), used by
# the cache's stress tests and benchmarks. Usage: cache_test_compiler.sh IN OUT
#   * "compiles" IN by sleeping CACHE_TEST_COMPILE_S seconds (default 1) and
#     writing a deterministic artifact derived from IN's content to OUT, in
#     small pieces so a kill -9 mid-write leaves a partial file behind;
#     sleeping instead of burning CPU stands for a compile on the node's own cores
#     (the emulated nodes of tests/cluster share this host's 2 CPUs), so the double
#     itself starts as few programs as it can (bash builtins, one sha256sum): with
#     eight of them at once on 2 CPUs, their own forks stretched the "compile";
#   * appends one line "<host> <pid> <IN>" to CACHE_TEST_COMPILER_LOG, if set,
#     so tests can count compiler invocations across all nodes;
#   * fails with exit 70 if IN contains "FAIL70", kills itself with SIGKILL
#     (like the OOM killer) if it contains "OOM9".
set -u
in=$1 out=$2
[ -n "${CACHE_TEST_COMPILER_LOG:-}" ] && echo "${SLURMD_NODENAME:-$HOSTNAME} $$ $in" >> "$CACHE_TEST_COMPILER_LOG"
echo "test compiler: compiling $in"
IFS= read -r -d '' content < "$in"  # the whole graph (read's status 1 at its end is expected)
# Half of CACHE_TEST_COMPILE_S ("1", "0.2", "1.5"), in bash arithmetic on milliseconds.
s=${CACHE_TEST_COMPILE_S:-1}
whole=${s%%.*} frac=${s#"$whole"}
frac=${frac#.}000
ms=$(( 10#${whole:-0} * 1000 + 10#${frac:0:3} ))
printf -v half '%d.%03d' $((ms / 2000)) $((ms / 2 % 1000))
read -r sum _ < <(sha256sum "$in")
printf 'artifact-part1 %s\n' "$sum" > "$out"
sleep "$half"
if [[ $content == *FAIL70* ]]; then echo "internal compiler error (test double)" >&2; exit 70; fi
if [[ $content == *OOM9* ]]; then kill -9 $$; fi
sleep "$half"
shopt -s extglob
printf 'artifact-part2 %s\n' "${content%%+($'\n')}" >> "$out"  # as "$(cat IN)": trailing newlines dropped
