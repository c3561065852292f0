# trn-train-native alone (no cluster): the mode comes from --compile / --train only,
# never from COMPILE in the environment, and bad input is `trn-train-native: error:
# key = value: fix` with exit 2, never an abort (issue 8). Hostile and careless input
# (issue 10): absurd shapes are refused with the memory figure before anything is
# allocated, numerically invalid settings are refused, a run that diverges stops naming
# the step without checkpointing NaN, checkpoints are verified on resume with a fallback
# to the previous good one, stale temporary files are cleaned and an unusable checkpoint
# folder is an error before step 1. Issue 17: --generate checks --min-new-tokens and
# reports the tokens it added, a task whose MPI world is not the plan's (WORLD_SIZE,
# RANK) is refused, and the graphs' line says whether they were compiled now or loaded.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/trainer_lib.sh"

# run ARGS...: sets $out (stdout+stderr) and $rc; a hang counts as a failure.
run() { rc=0; out=$(timeout 120 "$@" 2>&1) || rc=$?; }

# COMPILE=1 in the environment does not turn --train into a compile run.
run env COMPILE=1 "$native" --config "$fixture" --train trainer.max_steps=2 exp_manager.explicit_log_dir="$work/a"
[ "$rc" = 0 ] || fail "COMPILE=1 --train: exit $rc: $out"
expect_contains "$out" "| 2/2 [" "COMPILE=1 --train trains"
[[ $out != *"Total graphs"* ]] || fail "COMPILE=1 --train compiled instead of training: $out"
[ -f "$work/a/checkpoints/checkpoint-2.bin" ] || fail "COMPILE=1 --train wrote no checkpoint: $out"
# The cache was empty: the graphs were compiled now, not loaded (issue 17).
expect_contains "$out" "native: 10 graphs for this shape compiled now and stored in the compile cache" \
  "the first training run says it compiled the graphs"
[[ $out != *"loaded from the compile cache"* ]] || fail "the first run claims cache hits: $out"

# Nor does it with no mode flag: the default is --train. The plan's WORLD_SIZE and
# RANK that trn-train run exports agree with this singleton MPI world.
run env COMPILE=1 WORLD_SIZE=1 RANK=0 "$native" --config "$fixture" trainer.max_steps=1 \
  exp_manager.explicit_log_dir="$work/b"
[ "$rc" = 0 ] || fail "COMPILE=1, no mode flag: exit $rc: $out"
expect_contains "$out" "| 1/1 [" "the default mode trains"
expect_contains "$out" "native: 10 compiled graphs for this shape loaded from the compile cache" \
  "the second training run loads the graphs"

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
bad_input "no config" "--config = (missing): name the NxDT-schema YAML config" --train
bad_input "--collective-test with --train" "mode = --train and --collective-test: " --collective-test --train
bad_input "--collective-test with a config" "--collective-test = --config $fixture: the test reads no config" \
  --collective-test --config "$fixture"
bad_input "--collective-test with an override" "--collective-test = trainer.max_steps=3: the test reads no config" \
  --collective-test trainer.max_steps=3
bad_input "malformed override" "trainer.foo = [: " --config "$fixture" 'trainer.foo=['
bad_input "wrong type" "trainer.max_steps = ten: must be a whole number" --config "$fixture" trainer.max_steps=ten
# Issue 17: a mistyped key trained the config's value; Hydra's prefixes meant something else.
bad_input "mistyped key" "trainer.max_step = 3: no such key in $fixture (did you mean trainer.max_steps?)" \
  --config "$fixture" trainer.max_step=3
bad_input "+ on an existing key" "trainer.max_steps = 3: is already set (to 40)" --config "$fixture" +trainer.max_steps=3
bad_input "~ on a missing key" "trainer.nothing = (delete): no such key to delete" --config "$fixture" '~trainer.nothing'
bad_input "a sweep without --multirun" "trainer.max_steps = 3,4: not a valid value: a comma" --config "$fixture" \
  trainer.max_steps=3,4
{ cat "$fixture"; echo "seed: 7"; } > "$work/twice.yaml"
bad_input "a key written twice" "$work/twice.yaml:$(($(wc -l < "$fixture") + 1)): seed = (written twice): also set at line" \
  --config "$work/twice.yaml"
bad_input "out of range" "data.micro_batch_size = 0: " --config "$fixture" data.micro_batch_size=0
bad_input "missing config" "$work/none.yaml = (unreadable): " --config "$work/none.yaml"
bad_input "global batch vs micro batch" "data.global_batch_size = 6: must be a multiple" \
  --config "$fixture" data.global_batch_size=6 data.micro_batch_size=4
bad_input "min-new-tokens above max-new-tokens" "--min-new-tokens = 17: must be from 0 to --max-new-tokens (16)" \
  --config "$fixture" --generate --prompt "1 2" --max-new-tokens 16 --min-new-tokens 17
bad_input "negative min-new-tokens" "--min-new-tokens = -1: " --config "$fixture" --generate --prompt "1" \
  --min-new-tokens -1

# refused WHAT EXPECTED OVERRIDES...: bad input, refused before training starts.
refused() {
  bad_input "$1" "$2" --config "$fixture" exp_manager.explicit_log_dir="$work/bad" "${@:3}"
  [[ $out != *"global_step="* ]] || fail "$1: trained before refusing: $out"
}

# A task outside the world trn-train run planned (srun without PMIx gives each task a
# world of one) is refused before it reads data or trains alone (issue 17).
pmix="the tasks did not join one MPI world: start the tasks with PMIx: srun --mpi=pmix, or set MpiDefault=pmix"
WORLD_SIZE=2 RANK=1 refused "world of one, plan of two" "WORLD_SIZE = 2 (the plan's; MPI's world size is 1): $pmix"
expect_contains "$out" "trn-train-native: error: RANK = 1 (the plan's; MPI's rank is 0): $pmix" "the rank named too"
RANK=1 refused "rank 0, planned rank 1" "RANK = 1 (the plan's; MPI's rank is 0): $pmix"
WORLD_SIZE=two refused "malformed WORLD_SIZE" "WORLD_SIZE = two: must be a whole number"

# Absurd shapes: the figure and this machine's memory, not bad_alloc, an OOM kill or a hang.
refused "huge sequence" "memory = " data.seq_length=10000000
expect_contains "$out" "available (MemAvailable)" "huge sequence names the machine's memory"
refused "huge depth" "memory = " +model.num_layers=100000000
refused "beyond 64 bits" "memory = more than 16 EiB" +model.num_layers=100000000 data.seq_length=10000000 \
  data.micro_batch_size=1000000 data.global_batch_size=1000000

# yaml-cpp exceptions are Problems (issue 8's library; kept here as regressions).
refused "unterminated flow" "trainer.max_steps = [1: " 'trainer.max_steps=[1'
refused "key under a scalar" "seed.x = 1: " seed.x=1
refused "non-numeric betas" "model.optim.betas = [0.9, abc]: " 'model.optim.betas=[0.9,abc]'
refused "a block as a value" "model.optim = 3: must be a block of keys" model.optim=3

# Numerically invalid settings trained to NaN and exited 0.
sed 's/"rms_norm_eps": 1e-5/"rms_norm_eps": 0/' "$TRN_TOP/tests/fixtures/tiny_llama_config.json" >"$work/eps0.json"
refused "rms_norm_eps 0" "$work/eps0.json: rms_norm_eps = 0: must be from 1e-12" model.model_config="$work/eps0.json"
refused "tiny rope_theta" "model.rope_theta = 1e-45: must be from 1 to 1e12" +model.rope_theta=1e-45
sed 's/"vocab_size": 64/"vocab_size": 1/' "$TRN_TOP/tests/fixtures/tiny_llama_config.json" >"$work/v1.json"
refused "vocabulary too small" "$work/v1.json: vocab_size = 1: the synthetic corpus" model.model_config="$work/v1.json"

# An experiment folder that cannot be created is found before step 1 (not after training);
# since issue 18 it is made first, to hold the run's lock.
refused "unusable experiment folder" "/proc/trn-none = (cannot be created" \
  exp_manager.explicit_log_dir=/proc/trn-none

# Checkpoints: every 5 steps, the newest two kept; a killed writer's temp file is cleaned.
ck=$work/run/checkpoints
mkdir -p "$ck"
head -c 100000 /dev/zero >"$ck/checkpoint-3.bin.tmp.0123456789abcdef.1"
train() { run "$native" --config "$fixture" exp_manager.explicit_log_dir="$work/run" \
  exp_manager.checkpoint_callback_params.every_n_train_steps=5 trainer.log_every_n_steps=1 "$@"; }
train trainer.max_steps=12
[ "$rc" = 0 ] || fail "training: exit $rc: $out"
expect_contains "$out" "checkpoint: removed $ck/checkpoint-3.bin.tmp.0123456789abcdef.1" "stale temp reported"
[ "$(ls "$ck" | tr '\n' ' ')" = "checkpoint-10.bin checkpoint-12.bin " ] || fail "not the newest two: $(ls "$ck")"

# generate says on stderr how many tokens it added (token ids: no end of sequence).
run "$native" --generate --config "$fixture" exp_manager.explicit_log_dir="$work/run" --prompt "1 2 3" \
  --min-new-tokens 8 --max-new-tokens 16
[ "$rc" = 0 ] || fail "generate: exit $rc: $out"
expect_contains "$out" "generate: added 16 tokens" "generate reports the tokens it added"

# A flipped byte in the newest: refused, set aside, the previous one resumed, and said so.
printf '\x01' | dd of="$ck/checkpoint-12.bin" bs=1 seek=4000 conv=notrunc status=none
train trainer.max_steps=13
[ "$rc" = 0 ] || fail "fallback resume: exit $rc: $out"
expect_contains "$out" "warning: $ck/checkpoint-12.bin = (checksum mismatch)" "damaged checkpoint named"
expect_contains "$out" "falling back to the previous checkpoint $ck/checkpoint-10.bin" "fallback said"
expect_contains "$out" "resumed from $ck/checkpoint-10.bin at step 10" "resumed from the good one"
[ -f "$ck/checkpoint-12.bin.refused" ] || fail "the damaged checkpoint was not set aside: $(ls "$ck")"

# Finite but huge weights (valid checksum): the loss turns non-finite; the run stops
# naming the step, exits non-zero and checkpoints nothing after its last good step.
python3 - "$ck/checkpoint-13.bin" <<'EOF'
import hashlib, re, struct, sys
data = open(sys.argv[1], "rb").read()
end = data.index(b"\n\n") + 2
header, payload = data[:end].decode(), bytearray(data[end:])
params = int(re.search(r"^parameters=(\d+)$", header, re.M).group(1))
payload[:4 * params] = struct.pack("<f", 3e38) * params
header = re.sub(r"^payload_sha256=.*$", "payload_sha256=" + hashlib.sha256(payload).hexdigest(), header, flags=re.M)
open(sys.argv[1], "wb").write(header.encode() + payload)
EOF
train trainer.max_steps=20
[ "$rc" = 1 ] || fail "divergence: expected exit 1, got $rc: $out"
expect_contains "$out" "resumed from $ck/checkpoint-13.bin at step 13" "the huge weights pass verification"
expect_contains "$out" "trn-train-native: error: step 14 = loss " "divergence names the step"
[ ! -e "$ck/checkpoint-14.bin" ] && [ ! -e "$ck/checkpoint-15.bin" ] || fail "a diverged state was checkpointed"
echo "ok"
