# What a training run leaves (issue 12): the experiment folder NeMo's exp_manager
# would make (checkpoints/, hparams.yaml, cmd-args.log, metrics.jsonl, TensorBoard
# events), the NxDT progress line once per log step in a log, TensorBoard files that
# an independent reader (python3-protobuf, its own CRC-32C) decodes with every step's
# reduced_train_loss equal to the JSONL's, validation, save_top_k, resume_if_exists,
# weight_init_only, and the generate mode.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/trainer_lib.sh"
expect_eq() { [ "$1" == "$2" ] || fail "$3: expected '$2', got '$1'"; }
py=/usr/bin/python3
[ -x "$py" ] && "$py" -c 'import google.protobuf' 2>/dev/null || { echo "skip: python3-protobuf not installed"; exit 77; }
cd "$work"
run() { rc=0; out=$(timeout 120 "$@" 2>&1) || rc=$?; }

# No log folder named: ./nemo_experiments/<name>/<NEMO_EXPM_VERSION>, as NeMo.
run env NEMO_EXPM_VERSION=77 "$native" --config "$fixture" trainer.max_steps=12 trainer.log_every_n_steps=1 \
  trainer.val_check_interval=4 trainer.limit_val_batches=2 exp_manager.checkpoint_callback_params.every_n_train_steps=3 \
  exp_manager.checkpoint_callback_params.save_top_k=3
[ "$rc" = 0 ] || fail "training: exit $rc: $out"
exp=$work/nemo_experiments/tiny_native_fixture/77
[ -d "$exp" ] || fail "no experiment folder: $(find "$work" -maxdepth 4)"
expect_eq "$(ls "$exp/checkpoints" | tr '\n' ' ')" "checkpoint-12.bin checkpoint-6.bin checkpoint-9.bin " "save_top_k 3"
grep -q "max_steps: 12" "$exp/hparams.yaml" || fail "hparams.yaml is not the effective config: $(cat "$exp/hparams.yaml")"
grep -q -- "--config $fixture" "$exp/cmd-args.log" || fail "cmd-args.log: $(cat "$exp/cmd-args.log")"
expect_eq "$(grep -c '^Epoch 0: .*v_num=77, reduced_train_loss=' <<<"$out")" 12 "one progress line per log step"
expect_contains "$out" "| 12/12 [" "progress to the last step"
[[ $out != *$'\r'* ]] || fail "a log (not a terminal) got carriage returns"

# On a terminal the line is redrawn in place (carriage returns), every step.
if command -v script >/dev/null; then
  tty_out=$(timeout 120 script -qec "$native --config $fixture exp_manager.explicit_log_dir=$work/tty trainer.max_steps=3 \
    trainer.log_every_n_steps=100" /dev/null)
  expect_eq "$(tr '\r' '\n' <<<"$tty_out" | grep -c '^Epoch 0: ')" 3 "a redraw per step on a terminal"
fi

events=("$exp"/events.out.tfevents.*)
[ "${#events[@]}" = 1 ] || fail "expected one event file: ${events[*]}"
"$py" "$TRN_TOP/tests/scripts/trainer_read_tfevents.py" "${events[0]}" >"$work/events.jsonl" || fail "event file did not decode"
printf '%s\n' "$out" >"$work/console"
"$py" - "$work/events.jsonl" "$exp/metrics.jsonl" "$work/console" <<'EOF2' || fail "TensorBoard, JSONL and console disagree"
import json, re, struct, sys
events = [json.loads(l) for l in open(sys.argv[1])]
metrics = [json.loads(l) for l in open(sys.argv[2])]
assert events[0].get("file_version") == "brain.Event:2", events[0]
tb = {e["step"]: e for e in events[1:]}
js = {m["step"]: m for m in metrics}
assert sorted(tb) == list(range(1, 13)) == sorted(js), (sorted(tb), sorted(js))
f32 = lambda x: struct.unpack("<f", struct.pack("<f", x))[0]
for step in range(1, 13):
    assert tb[step]["reduced_train_loss"] == f32(js[step]["reduced_train_loss"]), step
    for key in ("lr", "grad_norm", "parameter_norm", "throughput"):
        assert key in tb[step], (step, key)
    assert ("val_loss" in tb[step]) == (step % 4 == 0) == ("val_loss" in js[step]), step
    assert js[step]["consumed_samples"] == 8 * step
console = {int(m.group(2)): float(m.group(1)) for m in
           re.finditer(r"reduced_train_loss=([0-9.]+),.* global_step=(\d+)\.000", open(sys.argv[3]).read())}
for step in range(1, 13):
    assert abs(console[step] - js[step]["reduced_train_loss"]) < 0.0051, (step, console[step])
assert js[12]["reduced_train_loss"] < js[1]["reduced_train_loss"] - 0.5
EOF2

# The same experiment again: it resumes (resume_if_exists, the default) and appends.
run env NEMO_EXPM_VERSION=77 "$native" --config "$fixture" trainer.max_steps=14
[ "$rc" = 0 ] || fail "resume: exit $rc: $out"
expect_contains "$out" "resumed from nemo_experiments/tiny_native_fixture/77/checkpoints/checkpoint-12.bin at step 12" "resume"
# ... unless resume_if_exists is false: then it refuses to overwrite the experiment.
run env NEMO_EXPM_VERSION=77 "$native" --config "$fixture" exp_manager.resume_if_exists=false
[ "$rc" = 2 ] || fail "resume_if_exists=false over checkpoints: exit $rc: $out"
expect_contains "$out" "error: exp_manager.resume_if_exists = false: nemo_experiments/tiny_native_fixture/77/checkpoints already holds" "refusal"

# Continual pre-training: weights only from another experiment's checkpoint.
run "$native" --config "$fixture" exp_manager.explicit_log_dir="$work/cpt" trainer.max_steps=2 trainer.log_every_n_steps=1 \
  model.weight_init_only=true exp_manager.resume_from_checkpoint="$exp/checkpoints"
[ "$rc" = 0 ] || fail "weight_init_only: exit $rc: $out"
expect_contains "$out" "initialised the weights from $exp/checkpoints/checkpoint-14.bin (model.weight_init_only" "weights only"
expect_contains "$out" "global_step=1.000, consumed_samples=8.0" "step and data position start fresh"
loss1=$(sed -n 's/.*reduced_train_loss=\([0-9.]*\),.*global_step=1\.000.*/\1/p' <<<"$out")
awk -v l="$loss1" 'BEGIN { exit !(l < 3.5) }' || fail "the loaded weights were not used: first loss $loss1"
run "$native" --config "$fixture" exp_manager.explicit_log_dir="$work/none" model.weight_init_only=true
[ "$rc" = 2 ] || fail "weight_init_only without a checkpoint: exit $rc: $out"
expect_contains "$out" "error: model.weight_init_only = true: names no weights" "weight_init_only alone"

# generate: token ids in, token ids out (the synthetic corpus has no tokenizer).
run env NEMO_EXPM_VERSION=77 "$native" --generate --config "$fixture" --prompt "3 5 7" --max-new-tokens 6
[ "$rc" = 0 ] || fail "generate: exit $rc: $out"
expect_contains "$out" "generate: nemo_experiments/tiny_native_fixture/77/checkpoints/checkpoint-14.bin (step 14)" "generate names its checkpoint"
line=$(tail -1 <<<"$out")
[[ $line =~ ^3\ 5\ 7(\ [0-9]+){6}$ ]] || fail "generate output: $line"
run env NEMO_EXPM_VERSION=77 "$native" --generate --config "$fixture" --prompt "3 5 7" --top-k 4 --temperature 0.8
[ "$rc" = 0 ] || fail "generate top-k: exit $rc: $out"
run env NEMO_EXPM_VERSION=77 "$native" --generate --config "$fixture" --prompt "hello" --tokenizer byte
[ "$rc" = 2 ] || fail "byte tokenizer for a 64-token model: exit $rc: $out"
expect_contains "$out" "error: --tokenizer = byte: has 257 ids" "tokenizer larger than the model"
run "$native" --generate --config "$fixture" exp_manager.explicit_log_dir="$work/none" --prompt 1
[ "$rc" = 2 ] || fail "generate without a checkpoint: exit $rc: $out"
expect_contains "$out" "error: checkpoint = $work/none/checkpoints (none)" "generate without a checkpoint"
echo ok
