# Issue 13, overlap: the data-parallel gradient all-reduce in buckets started while
# backward still runs (trainer/mpi/grad_allreduce.h) gives the same bits as one
# all-reduce after backward (TRN_NATIVE_GRAD_BUCKET_MB=0): loss, gradient norm and
# parameter norm equal at every step, at 2 and 4 ranks, with and without gradient
# accumulation (only the last micro-batch's backward starts reductions). Buckets of
# 0.05 MiB cut the fixture's 100672 gradients into 8, across tensor boundaries.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/trainer_lib.sh"
need_mpirun
steps=6
# train RANKS BUCKET_MIB DIR ARGS...
train() {
  local np=$1 mib=$2 dir=$3; shift 3
  TRN_NATIVE_GRAD_BUCKET_MB=$mib timeout 300 mpirun --allow-run-as-root --oversubscribe -np "$np" "$native" \
    --config "$fixture" "exp_manager.explicit_log_dir='$dir'" trainer.max_steps=$steps trainer.log_every_n_steps=1 \
    "$@" >"$dir.out" 2>&1 || fail "$np ranks, buckets of $mib MiB: $(tail -5 "$dir.out")"
}
# Every step's numbers as the JSONL keeps them (full precision).
numbers() {
  sed -n 's/.*"step":\([0-9]*\),.*"reduced_train_loss":\([^,]*\),.*"grad_norm":\([^,]*\),"parameter_norm":\([^,]*\),.*/\1 \2 \3 \4/p' \
    "$1/metrics.jsonl"
}
# same NAME ARGS...: overlapped vs not, the same numbers to the last digit.
same() {
  local name=$1 np=$2; shift 2
  train "$np" 0 "$work/$name-off" "$@"
  train "$np" 0.05 "$work/$name-on" "$@"
  [ "$(numbers "$work/$name-off" | wc -l)" = $steps ] || fail "$name: no per-step metrics: $(numbers "$work/$name-off")"
  diff <(numbers "$work/$name-off") <(numbers "$work/$name-on") >&2 ||
    fail "$name: overlapped buckets (right) differ from one all-reduce after backward (left)"
  echo "$name: $steps steps bitwise identical"
}
same "2 ranks, accumulation 2" 2
same "4 ranks, accumulation 1" 4
same "2 ranks, accumulation 4" 2 data.micro_batch_size=1

# A bad value: one warning (rank 0), the default size, training goes on.
train 2 lots "$work/bad" trainer.max_steps=1
expect_contains "$(cat "$work/bad.out")" \
  "trn-train-native: warning: TRN_NATIVE_GRAD_BUCKET_MB = lots: give the gradient all-reduce's bucket size in MiB" \
  "bad bucket size"
[ "$(grep -c 'TRN_NATIVE_GRAD_BUCKET_MB' "$work/bad.out")" = 1 ] || fail "warned more than once: $(cat "$work/bad.out")"
echo ok
