# bench/trainer_bench.sh --quick --no-peer (no PyTorch, no timing asserted): it runs the
# native engine, the sgemm probe and the scaling sweep (with its no-communication ceiling) end to end and prints the summary
# table with every target and a verdict; a bad argument is one clear error, exit 2.
source "$(dirname "$0")/lib.sh"
bench=$TRN_TOP/bench/trainer_bench.sh
command -v mpirun >/dev/null || { echo "skip: no mpirun"; exit 77; }

out=$(BUILD=$TRN_BUILD timeout 300 "$bench" --quick --no-peer --steps 4 --cores 2 2>&1) || fail "quick run failed: $out"
expect_contains "$out" "shape: hidden 128, 2 layers, 4 heads, 2 KV heads, FFN 352, vocab 1024, sequence 128" "shape line"
expect_contains "$out" "micro-batch 2, fp32; 2 threads; 4 steps, the first 2 warm-up" "run line"
expect_contains "$out" "GFLOP/s" "sgemm peak"
grep -Eq "^ISA: engine graphs for (x86-64(-v[234])?|the compiler.s default) \(this CPU: " <<<"$out" || fail "ISA line: $out"
grep -Eq '^trn-train-native: [0-9]+ parameters, [0-9.]+ tokens/s, peak RSS [0-9]+ MB$' <<<"$out" || fail "engine line: $out"
grep -Eq '^scaling: 2 ranks x 1 threads [0-9.]+ tokens/s vs 1 rank x 1 threads [0-9.]+: efficiency [0-9]+%$' <<<"$out" ||
  fail "scaling line: $out"
grep -Eq '^  ceiling here: 2 independent 1-rank runs at once [0-9.]+ tokens/s in all: [0-9]+% \(no communication\)$' <<<"$out" ||
  fail "scaling ceiling line: $out"
summary=$(sed -n '/^summary/,$p' <<<"$out")
for target in "tokens/s vs PyTorch >= 2.5x" "peak RSS vs PyTorch <= 0.5x" "model FLOP/s vs sgemm peak >= 70%" \
  "compiled vs generic kernels" "DP scaling efficiency >= 95%"; do
  expect_contains "$summary" "$target" "summary row"
done
expect_contains "$summary" "n/a (--no-peer)" "no peer"
grep -Eq '^model FLOP/s vs sgemm peak >= 70% +[0-9]+% \([0-9.]+ of [0-9.]+ GFLOP/s\) +(PASS|MISS)$' <<<"$summary" ||
  fail "FLOP/s row: $summary"
grep -Eq '^DP scaling efficiency >= 95% +[0-9]+% at 1->2 ranks x 1 threads \(ceiling [0-9]+%\) +(PASS|MISS)$' <<<"$summary" ||
  fail "scaling row: $summary"

set +e
err=$("$bench" --hidden x 2>&1); rc=$?
set -e
[ "$rc" = 2 ] || fail "bad argument: exit $rc, expected 2: $err"
expect_contains "$err" "trainer_bench.sh: error: --hidden = x: give a positive integer" "bad argument"
echo "ok"
