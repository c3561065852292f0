# trn-train-native alone (no cluster): the mode comes from --compile / --train only,
# never from COMPILE in the environment, and bad input is `trn-train-native: error:
# key = value: fix` with exit 2, never an abort (issue 8).
source "$(dirname "$0")/lib.sh"
native=$TRN_BUILD/bin/trn-train-native
fixture=$TRN_TOP/tests/fixtures/tiny_native.yaml
[ -x "$native" ] || fail "$native not built"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export TRN_TRAIN_CACHE_DIR=$work/cache

# run ARGS...: sets $out (stdout+stderr) and $rc
run() { rc=0; out=$("$@" 2>&1) || rc=$?; }

# COMPILE=1 in the environment does not turn --train into a compile run.
run env COMPILE=1 "$native" --config "$fixture" --train trainer.max_steps=2 exp_manager.explicit_log_dir="$work/a"
[ "$rc" = 0 ] || fail "COMPILE=1 --train: exit $rc: $out"
expect_contains "$out" "step 2/2 | loss" "COMPILE=1 --train trains"
[[ $out != *"Total graphs"* ]] || fail "COMPILE=1 --train compiled instead of training: $out"
[ -f "$work/a/checkpoints/checkpoint.bin" ] || fail "COMPILE=1 --train wrote no checkpoint: $out"

# Nor does it with no mode flag: the default is --train.
run env COMPILE=1 "$native" --config "$fixture" trainer.max_steps=1 exp_manager.explicit_log_dir="$work/b"
[ "$rc" = 0 ] || fail "COMPILE=1, no mode flag: exit $rc: $out"
expect_contains "$out" "step 1/1 | loss" "the default mode trains"

# --compile compiles (and does not train or checkpoint), also with COMPILE=0.
run env COMPILE=0 "$native" --config "$fixture" --compile exp_manager.explicit_log_dir="$work/c"
[ "$rc" = 0 ] || fail "--compile: exit $rc: $out"
expect_contains "$out" "Total graphs: 1" "--compile compiles"
[ ! -e "$work/c/checkpoints" ] || fail "--compile wrote a checkpoint"

# bad_input WHAT EXPECTED ARGS...: exit 2 and one error line containing EXPECTED.
bad_input() {
  local what=$1 expected=$2; shift 2
  run "$native" "$@"
  [ "$rc" = 2 ] || fail "$what: expected exit 2, got $rc: $out"
  expect_contains "$out" "trn-train-native: error: $expected" "$what"
}
bad_input "--compile with --train" "mode = --compile and --train: " --config "$fixture" --compile --train
bad_input "malformed override" "trainer.foo = [: " --config "$fixture" 'trainer.foo=['
bad_input "wrong type" "trainer.max_steps = ten: must be a whole number" --config "$fixture" trainer.max_steps=ten
bad_input "out of range" "data.micro_batch_size = 0: " --config "$fixture" data.micro_batch_size=0
bad_input "missing config" "$work/none.yaml = (unreadable): " --config "$work/none.yaml"
bad_input "global batch vs micro batch" "data.global_batch_size = 6: must be a multiple" \
  --config "$fixture" data.global_batch_size=6 data.micro_batch_size=4
echo "ok"
