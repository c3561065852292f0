# Distributed compile (COMPILE=1 style): 4 nodes x 8 ranks share 24 graphs with
# 2 compile slots per node; each graph is compiled once, every node takes part,
# rank 0 prints the neuron_parallel_compile summary lines; a second run is all hits.
source "$(dirname "$0")/lib.sh"
driver=$TRN_BUILD/tests/cache_driver
work=$(mktemp -d /tmp/trn-cache-dist.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/graphs"
for i in $(seq -w 1 24); do echo "graph $i" > "$work/graphs/g$i.hlo"; done
export CACHE_TEST_COMPILE_S=1 CACHE_TEST_COMPILER_LOG=$work/invocations
opts=(--dir "$work/cache" --heartbeat 1 --stale 4 --quiet --per-node 2)
# Each step is bounded (a few seconds when healthy): a hung rank fails the step with
# what every rank and compiler was doing, not the suite's 600 s timeout with nothing.
srun() {
  local rc=0
  timeout -k 10 120 "$(type -P srun)" "$@" || rc=$?
  if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
    ps -eo pid,ppid,stat,wchan:24,etime,args | grep -E '[c]ache_driver|[c]ache_test_compiler' >&2
    fail "srun $* did not finish within 120 s"
  fi
  return "$rc"
}
start=$SECONDS
out=$(srun -N4 --ntasks-per-node=8 "$driver" compile "${opts[@]}" "$work"/graphs/*.hlo 2>&1) || fail "compile: $out"
echo "distributed compile: $((SECONDS - start)) s"
expect_contains "$out" "Total graphs: 24" "summary"
expect_contains "$out" "Total successful compilations: 24" "summary"
expect_contains "$out" "Total failed compilations: 0" "summary"
expect_eq "$(wc -l < "$CACHE_TEST_COMPILER_LOG")" 24 "compiler invocations"
expect_eq "$(cut -d' ' -f1 "$CACHE_TEST_COMPILER_LOG" | sort -u | wc -l)" 4 "nodes that compiled"
# per-node parallelism: never more than 2 compiles per node at once is enforced by
# slots; 24 graphs / (4 nodes x 2) = 3 rounds of ~1 s.
out=$(srun -N4 --ntasks-per-node=8 "$driver" compile "${opts[@]}" "$work"/graphs/*.hlo 2>&1) || fail "rerun: $out"
expect_contains "$out" "Cache hits: 24" "warm rerun"
expect_eq "$(wc -l < "$CACHE_TEST_COMPILER_LOG")" 24 "no recompiles on the warm rerun"

# A failing graph: exit 70 recorded, reported, and not retried without the retry setting.
echo "graph bad FAIL70" > "$work/graphs/zbad.hlo"
out=$(srun -N2 --ntasks-per-node=2 "$driver" compile "${opts[@]}" "$work"/graphs/*.hlo 2>&1) && fail "a failed graph must fail the run"
expect_contains "$out" "Total failed compilations: 1" "failed summary"
expect_contains "$out" "exit code 70" "exit code 70 recognised"
n=$(wc -l < "$CACHE_TEST_COMPILER_LOG")
out=$(srun -N1 "$driver" compile "${opts[@]}" "$work"/graphs/zbad.hlo 2>&1) && fail "cached failure must fail"
expect_contains "$out" "TRN_CACHE_RETRY_FAILED=1" "cached failure names the retry setting"
expect_eq "$(wc -l < "$CACHE_TEST_COMPILER_LOG")" "$n" "no retry without the retry setting"
out=$(srun -N1 "$driver" compile "${opts[@]}" --retry-failed "$work"/graphs/zbad.hlo 2>&1) && fail "still fails"
expect_eq "$(wc -l < "$CACHE_TEST_COMPILER_LOG")" "$((n + 1))" "retried once with --retry-failed"
