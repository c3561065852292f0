# Issue 12 on 4 Slurm nodes: `scancel --signal=USR1` mid-run makes every rank agree to
# stop at the next step; rank 0 checkpoints (model, AdamW state, step, consumed_samples)
# and the job exits 143. Running the job's command again (what a requeue does) resumes,
# and every step's loss and the final state equal an uninterrupted 4-rank run's to the bit.
# The same with ZeRO-1 (rank-sharded checkpoints), and a 4-rank checkpoint resumed on 2 nodes.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/../scripts/trainer_lib.sh"
args="--config $fixture trainer.max_steps=40 trainer.log_every_n_steps=1 trainer.val_check_interval=10"
payload() { head -c 4096 "$1/checkpoints/checkpoint-40.bin" | tr -d '\0' | sed -n 's/^payload_sha256=//p'; }

out=$(srun --mpi=pmix -N4 -n4 $native $args exp_manager.explicit_log_dir="$work/straight" 2>&1) \
  || fail "uninterrupted run failed: $out"

job=$(sbatch --parsable -N4 -o "$work/first.out" \
  --wrap "srun --mpi=pmix -n4 $native $args exp_manager.explicit_log_dir=$work/req")
for _ in $(seq 1 1200); do grep -q 'global_step=4.000' "$work/first.out" 2>/dev/null && break; sleep 0.1; done
grep -q 'global_step=4.000' "$work/first.out" || fail "run did not start: $(cat "$work/first.out")"
scancel --signal=USR1 "$job"
for _ in $(seq 1 300); do [ -z "$(squeue -h -j "$job" 2>/dev/null)" ] && break; sleep 0.1; done
stopped=$(sed -n 's/^stopped by signal after step \([0-9]*\);.*/\1/p' "$work/first.out")
[ -n "$stopped" ] && [ "$stopped" -lt 40 ] || fail "no stop on SIGUSR1 before the end: $(tail -3 "$work/first.out")"

out=$(srun --mpi=pmix -N4 -n4 $native $args exp_manager.explicit_log_dir="$work/req" 2>&1) || fail "resume failed: $out"
expect_contains "$out" "resumed from $work/req/checkpoints/checkpoint-$stopped.bin at step $stopped" "resume"
[ "$(losses "$work/req")" = "$(losses "$work/straight")" ] ||
  fail "losses differ (stopped at $stopped): $(diff <(losses "$work/req") <(losses "$work/straight") | head -5)"
expect_eq "$(losses "$work/req" | wc -l)" 40 "a loss for every step"
expect_eq "$(payload "$work/req")" "$(payload "$work/straight")" "final model and optimizer state"

# ZeRO-1: every rank writes its own shard at the same time on its node, rank 0 the
# manifest last (one shared folder). The requeued run reads back each rank's slice:
# bit-identical again. The same checkpoint resumed on 2 nodes re-shards (each rank
# reads the two shards its slice spans) and continues within fp32 tolerance.
# 30 steps: a run of 10 could end (at 10 steps/s) between the test seeing step 4 and
# its signal arriving, and then has nothing to stop.
zargs="$args trainer.max_steps=30 distributed_strategy.zero1=true"
out=$(srun --mpi=pmix -N4 -n4 $native $zargs exp_manager.explicit_log_dir="$work/zstraight" 2>&1) \
  || fail "uninterrupted zero1 run failed: $out"
job=$(sbatch --parsable -N4 -o "$work/zfirst.out" \
  --wrap "srun --mpi=pmix -n4 $native $zargs exp_manager.explicit_log_dir=$work/zreq")
for _ in $(seq 1 1200); do grep -q 'global_step=4.000' "$work/zfirst.out" 2>/dev/null && break; sleep 0.1; done
# Signalled only once training runs: before that the signal handler may not be installed
# yet, and a slow start (a loaded machine, ASan) would die of SIGUSR1 instead of stopping.
grep -q 'global_step=4.000' "$work/zfirst.out" || fail "zero1 run did not start: $(cat "$work/zfirst.out")"
scancel --signal=USR1 "$job"
for _ in $(seq 1 300); do [ -z "$(squeue -h -j "$job" 2>/dev/null)" ] && break; sleep 0.1; done
stopped=$(sed -n 's/^stopped by signal after step \([0-9]*\);.*/\1/p' "$work/zfirst.out")
[ -n "$stopped" ] && [ "$stopped" -lt 30 ] || fail "zero1: no stop on SIGUSR1: $(tail -3 "$work/zfirst.out")"
for r in 0 1 2 3; do
  [ -f "$work/zreq/checkpoints/checkpoint-$stopped.shard-$r-of-4.bin" ] || fail "zero1: no shard of rank $r"
done
mkdir -p "$work/zhalf" && cp -r "$work/zreq/checkpoints" "$work/zreq/metrics.jsonl" "$work/zhalf/"
out=$(srun --mpi=pmix -N4 -n4 $native $zargs exp_manager.explicit_log_dir="$work/zreq" 2>&1) || fail "zero1 resume failed: $out"
expect_contains "$out" "resumed from $work/zreq/checkpoints/checkpoint-$stopped.bin at step $stopped" "zero1 resume"
[ "$(losses "$work/zreq")" = "$(losses "$work/zstraight")" ] ||
  fail "zero1 losses differ (stopped at $stopped): $(diff <(losses "$work/zreq") <(losses "$work/zstraight") | head -5)"
shards() { grep '^shard\.' "$1/checkpoints/checkpoint-30.bin"; }
expect_eq "$(shards "$work/zreq")" "$(shards "$work/zstraight")" "zero1 final state (every shard's checksums)"
out=$(srun --mpi=pmix -N2 -n2 $native $zargs exp_manager.explicit_log_dir="$work/zhalf" 2>&1) || fail "resume on 2 nodes failed: $out"
expect_contains "$out" "sharded over 2 ranks" "re-sharded on 2 nodes"
join <(losses "$work/zhalf") <(losses "$work/zstraight") | awk '
  { d = $2 - $3; if (d < 0) d = -d; r = d / ($3 < 0 ? -$3 : $3); if (r > worst) worst = r; if (r > 1e-4) bad = bad " step " $1 }
  END { print "4 -> 2 nodes: worst relative loss difference " worst > "/dev/stderr"; if (NR != 30 || bad != "") { print NR " steps," bad; exit 1 } }' || fail "4 -> 2 nodes differs beyond fp32 tolerance"
