# Issue 21 (a): past the time limit, by itself. A native job submitted with
# `trn-train submit --train-only launch.time=3 launch.signal_grace=60`, whose training
# needs about two of its windows, is warned by SIGUSR1 before the limit
# (--signal=USR1@60 to its steps), checkpoints, requeues itself (scontrol requeue from
# node 0's `run`) and resumes in the same experiment folder under the same job id:
# it ends COMPLETED, with Restarts >= 1 and every step trained exactly once.
# Before issue 21 it checkpointed at the signal and ended FAILED part-way.
#
# The training is sized from this machine's measured speed (a short run first), so it
# needs about two windows on a fast machine and on a slow one (ASan) alike; nothing
# asserted depends on the speed. Cost: about 4-5 minutes (two windows and a requeue).
# sanitized: skip: its minutes go to Slurm's time-limit windows; the heal code runs sanitized in launcher_tests, test_launcher_requeue (the time-limit signal, nxdt), test_heal_bad_node and test_heal_hang (native requeues) and test_trainer_resume_exact (the trainer's stop on SIGUSR1)
source "$(dirname "$0")/lib.sh"
work=$(mktemp -d)
id=""
trap '[ -n "$id" ] && scancel "$id" 2>/dev/null; rm -rf "$work"' EXIT
unset TRN_TRAIN_CACHE_DIR NEURON_COMPILE_CACHE_URL NEURON_CC_FLAGS
cd "$work"
common=(--conf tiny_llama_native launch.cache_dir="$work/cache" trainer.log_every_n_steps=1
  trainer.val_check_interval=0 exp_manager.checkpoint_callback_params.every_n_train_steps=100)

# Steps per second of this machine, 4 nodes: 40 steps after a 10-step warm-up.
speed_out=$(COMPILE=0 srun -N4 "$TRN_TRAIN" run "${common[@]}" trainer.max_steps=50 \
  exp_manager.explicit_log_dir="$work/speed" 2>&1) || fail "speed run failed: $speed_out"
t() { sed -n "s/.*\"step\":$1,.*\"elapsed_s\":\([0-9.e+-]*\).*/\1/p" "$work/speed/metrics.jsonl"; }
t10=$(t 10) t50=$(t 50)
[ -n "$t10" ] && [ -n "$t50" ] || fail "no elapsed time in the speed run's metrics: $(head -c 400 "$work/speed/metrics.jsonl")"
# A window trains for at most 120 s (the signal comes 60-120 s before the 3-minute limit);
# 150 s of training needs at least two.
steps=$(awk -v a="$t10" -v b="$t50" 'BEGIN { printf "%d", 40 / (b - a) * 150 }')
[ "$steps" -gt 50 ] || fail "implausible speed: 40 steps in $t10..$t50 s"
echo "measured $t10..$t50 s for 40 steps: training $steps steps"

out=$(env -u SLURM_JOB_ID "$TRN_TRAIN" submit --train-only "${common[@]}" trainer.max_steps="$steps" \
  model.optim.sched.max_steps="$steps" launch.time=3 launch.signal_grace=60 launch.preflight=false \
  "launch.sbatch_flags=['--output=$work/out']") || fail "submit failed: $out"
id=$(sed -n 's/^train job \([0-9]*\)$/\1/p' <<< "$out")
[ -n "$id" ] || fail "submit printed no train job: $out"
# Three windows of 3 minutes and the requeue delays between them, at most.
for _ in $(seq 1 720); do
  case $(job_state) in
    COMPLETED) break ;;
    FAILED|CANCELLED|TIMEOUT|NODE_FAIL|BOOT_FAIL|OUT_OF_MEMORY) fail "job ended $(job_state): $(tail -30 "$work/out")" ;;
  esac
  sleep 1
done
expect_eq "$(job_state)" COMPLETED "job state (output: $(tail -20 "$work/out"))"
restarts=$(scontrol show job "$id" | sed -n 's/.*Restarts=\([0-9]*\).*/\1/p')
[ "$restarts" -ge 1 ] || fail "the job was never requeued (Restarts=$restarts): $(tail -20 "$work/out")"

# One experiment folder (the job id's), every step in its metrics exactly once, in order.
exps=$(find "$work/nemo_experiments" -name metrics.jsonl)
expect_eq "$(wc -l <<< "$exps")" 1 "experiment folders ($exps)"
exp=$(dirname "$exps")
steps_logged=$(sed -n 's/.*"step":\([0-9]*\),.*/\1/p' "$exp/metrics.jsonl")
expect_eq "$steps_logged" "$(seq 1 "$steps")" "steps in metrics.jsonl (each exactly once)"

# Each requeue was decided once, said on the console and recorded; the resumed runs say why.
for r in $(seq 0 $((restarts - 1))); do
  decision=$(cat "$work/logs/$id/$r/heal/decision.json" 2>/dev/null) || fail "run $r left no decision"
  expect_contains "$decision" '"reason":"time-limit"' "run $r's decision"
  expect_contains "$decision" '"requeued":true' "run $r's decision"
done
restart_line=$(grep '"restart":1,' "$exp/metrics.jsonl") || fail "no restart line in metrics.jsonl"
expect_contains "$restart_line" '"reason":"time-limit"' "metrics.jsonl's restart line"
resumed=$(sed -n 's/.*"resumed_from_step":\([0-9]*\).*/\1/p' <<< "$restart_line")
[ "$resumed" -gt 0 ] && [ "$resumed" -lt "$steps" ] || fail "restart line's resumed_from_step: $restart_line"
console=$(cat "$work/out")
expect_eq "$(grep -c "^trn-train: job $id, run [0-9]*: time limit near; requeued" <<< "$console")" "$restarts" \
  "one requeue line per restart"
expect_contains "$console" "trn-train: restart 1 of job $id: job $id, run 0: time limit near" "the restart line"
expect_contains "$console" "stopped by signal after step" "the trainer checkpointed at the signal"
expect_contains "$console" "resumed from" "the requeued run resumed from the checkpoint"
expect_contains "$console" "restart 1 (time-limit): resumed from step $resumed" "the trainer's restart line"

# `trn-train status` shows the run across its restarts.
status=$("$TRN_TRAIN" status "$id") || fail "status failed: $status"
expect_contains "$status" "job $id: $((restarts + 1)) run(s), $restarts restart(s), drained nodes: none" "status"
expect_contains "$status" "time-limit, requeued" "status: why the first run ended"
