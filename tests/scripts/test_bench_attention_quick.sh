# bench/attention_bench.sh on a small shape (no timing asserted): it builds the attention
# kernels with the graphs' flags for each x86-64 level this CPU runs, baseline always, and
# prints each level's forward and backward figures beside the sgemm peak; a bad argument
# is one clear error, exit 2.
# sanitized: skip: it builds and times its own uninstrumented binary (the kernels run sanitized in trainer_tests)
source "$(dirname "$0")/lib.sh"
bench=$TRN_TOP/bench/attention_bench.sh

out=$(BUILD=$TRN_BUILD timeout 300 "$bench" --seq 80 --heads 4 --kv-heads 2 --head-size 24 --micro-batch 1 \
  --reps 1 2>&1) || fail "quick run failed: $out"
expect_contains "$out" "shape: sequence 80, 4 heads, 2 KV heads, head size 24, micro-batch 1, fp32; 2 threads" \
  "shape line"
grep -Eq '^sgemm 2048\^3 on 2 threads: .* GFLOP/s$' <<<"$out" || fail "sgemm line: $out"
figures='forward [0-9.]+ ms, [0-9.]+ GFLOP/s; backward [0-9.]+ ms, [0-9.]+ GFLOP/s'
grep -Eq "^x86-64: $figures \(forward [0-9]+%, backward [0-9]+% of sgemm\)$" <<<"$out" || fail "baseline line: $out"

set +e
err=$("$bench" --heads 3 --kv-heads 2 2>&1); rc=$?
set -e
[ "$rc" = 2 ] || fail "--heads 3 --kv-heads 2: exit $rc, expected 2: $err"
expect_contains "$err" "attention_bench.sh: error: --heads = 3: not a multiple of --kv-heads = 2" "bad shape"
set +e
err=$("$bench" --seq 0 2>&1); rc=$?
set -e
[ "$rc" = 2 ] || fail "--seq 0: exit $rc, expected 2: $err"
expect_contains "$err" "attention_bench.sh: error: --seq = 0: give a whole number above 0" "bad number"
