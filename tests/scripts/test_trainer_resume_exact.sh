# Issue 12, faults: SIGUSR1 (Slurm's --signal, scancel --signal=USR1) mid-run makes the
# trainer checkpoint at the next step and exit 143; the resumed run restores model,
# optimizer, schedule step and data position (consumed_samples), so every step's loss
# (the JSONL keeps full precision) and the final state equal an uninterrupted run's
# to the bit. Also SIGTERM, and a truncated newest checkpoint falling back.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/trainer_lib.sh"
steps=40
train() {  # DIR ARGS...: one run of the same experiment settings into DIR (exec: the signal reaches it)
  local dir=$1; shift
  exec "$native" --config "$fixture" exp_manager.explicit_log_dir="$dir" trainer.max_steps=$steps \
    trainer.log_every_n_steps=1 trainer.val_check_interval=5 trainer.limit_val_batches=1 "$@"
}
payload() { sed -n 's/^payload_sha256=//p' <(head -c 4096 "$1/checkpoints/checkpoint-$steps.bin" | tr -d '\0'); }

(train "$work/straight") >"$work/straight.out" 2>&1 || fail "uninterrupted run: $(tail -5 "$work/straight.out")"

# interrupt SIGNAL DIR: start the run, signal it once step 4 is printed; sets $stopped.
interrupt() {
  local sig=$1 dir=$2 rc=0
  (train "$dir") >"$dir.out" 2>&1 &
  local pid=$!
  for _ in $(seq 1 600); do grep -q 'global_step=4.000' "$dir.out" 2>/dev/null && break; sleep 0.05; done
  kill "-$sig" "$pid"
  wait "$pid" || rc=$?
  [ "$rc" = 143 ] || fail "$sig: expected exit 143, got $rc: $(tail -5 "$dir.out")"
  stopped=$(sed -n 's/^stopped by signal after step \([0-9]*\);.*/\1/p' "$dir.out")
  [ -n "$stopped" ] && [ "$stopped" -lt "$steps" ] || fail "$sig: no stop before the end: $(tail -3 "$dir.out")"
  [ -f "$dir/checkpoints/checkpoint-$stopped.bin" ] || fail "$sig: no checkpoint at step $stopped"
}

for sig in USR1 TERM; do
  dir=$work/$sig
  interrupt "$sig" "$dir"
  (train "$dir") >"$dir.resumed.out" 2>&1 || fail "$sig: resume failed: $(tail -5 "$dir.resumed.out")"
  expect_contains "$(cat "$dir.resumed.out")" "resumed from $dir/checkpoints/checkpoint-$stopped.bin at step $stopped" "$sig resume"
  expect_contains "$(cat "$dir.resumed.out")" "consumed_samples=$(( (stopped + 1) * 8 )).0" "$sig data position"
  [ "$(losses "$dir")" = "$(losses "$work/straight")" ] ||
    fail "$sig: losses differ from the uninterrupted run (stopped at $stopped): $(diff <(losses "$dir") <(losses "$work/straight") | head -5)"
  [ "$(payload "$dir")" = "$(payload "$work/straight")" ] || fail "$sig: final model/optimizer state differs"
  echo "$sig at step $stopped: $(losses "$dir" | wc -l) losses and the final state bit-identical"
done

# A truncated newest checkpoint: the previous good one is resumed, and that is said.
dir=$work/USR1
last=$(ls "$dir/checkpoints" | sort -t- -k2 -n | tail -1)
truncate -s 5000 "$dir/checkpoints/$last"
out=$( (train "$dir" trainer.max_steps=$((steps + 1))) 2>&1) || fail "fallback: $out"
expect_contains "$out" "warning: $dir/checkpoints/$last = 5000 bytes: truncated" "truncation named"
expect_contains "$out" "falling back to the previous checkpoint" "fallback said"
echo ok
