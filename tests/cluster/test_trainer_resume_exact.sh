# Issue 12 on 4 Slurm nodes: `scancel --signal=USR1` mid-run makes every rank agree to
# stop at the next step; rank 0 checkpoints (model, AdamW state, step, consumed_samples)
# and the job exits 143. Running the job's command again (what a requeue does) resumes,
# and every step's loss and the final state equal an uninterrupted 4-rank run's to the bit.
source "$(dirname "$0")/lib.sh"
native=$TRN_BUILD/bin/trn-train-native
fixture=$TRN_TOP/tests/fixtures/tiny_native.yaml
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export TRN_TRAIN_CACHE_DIR=$work/cache
args="--config $fixture trainer.max_steps=40 trainer.log_every_n_steps=1 trainer.val_check_interval=10"
losses() { sed -n 's/.*"step":\([0-9]*\),.*"reduced_train_loss":\([^,]*\),.*/\1 \2/p' "$1/metrics.jsonl" | sort -n -u; }
payload() { head -c 4096 "$1/checkpoints/checkpoint-40.bin" | tr -d '\0' | sed -n 's/^payload_sha256=//p'; }

out=$(srun --mpi=pmix -N4 -n4 $native $args exp_manager.explicit_log_dir="$work/straight" 2>&1) \
  || fail "uninterrupted run failed: $out"

job=$(sbatch --parsable -N4 -o "$work/first.out" \
  --wrap "srun --mpi=pmix -n4 $native $args exp_manager.explicit_log_dir=$work/req")
for _ in $(seq 1 600); do grep -q 'global_step=4.000' "$work/first.out" 2>/dev/null && break; sleep 0.1; done
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
