# The native engine compiles then trains for real across 4 Slurm nodes (srun
# --mpi=pmix, one rank per node): the compile job builds each of the shape's graphs
# (one per layer kind x pass) exactly once into the shared cache, training loads them
# and compiles nothing, the loss falls (with the compiled graphs and with the generic
# kernels), a checkpoint is written atomically, a longer run resumes from it, and a
# cancelled job (SIGTERM) checkpoints before it exits.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/../scripts/trainer_lib.sh"
# The host compiler, wrapped to log each invocation (node and graph source file).
cat > "$work/cxx" <<EOF
#!/bin/bash
for a; do case \$a in *.cc) graph=\${a##*/} ;; esac; done
echo "\$SLURMD_NODENAME \$graph" >> "$work/compiler.log"
exec c++ "\$@"
EOF
chmod +x "$work/cxx"
export TRN_NATIVE_CXX=$work/cxx
graphs=10  # rmsnorm, rope, attention, swiglu, cross-entropy; forward and backward each

# The mode is --compile / --train (the launcher turns COMPILE into one of them); the
# trainer itself ignores COMPILE (tests/scripts/test_trainer_native_cli.sh).
out=$(srun --mpi=pmix -N4 -n4 "$native" --compile --config "$fixture" 2>&1) || fail "4-node compile failed: $out"
expect_contains "$out" "Total graphs: $graphs" "compile summary"
expect_contains "$out" "Total successful compilations: $graphs" "compile summary"
expect_contains "$out" "Total failed compilations: 0" "compile summary"
expect_eq "$(grep -c '^Total graphs' <<<"$out")" 1 "the summary is printed once"
expect_eq "$(wc -l < "$work/compiler.log")" "$graphs" "compiler invocations (each graph once, job-wide)"
expect_eq "$(cut -d' ' -f2 "$work/compiler.log" | sort -u | wc -l)" "$graphs" "distinct graphs compiled"
expect_eq "$(find "$work/cache" -name model.done | wc -l)" "$graphs" "cache entries"

out=$(COMPILE=1 srun --mpi=pmix -N4 -n4 "$native" --train --config "$fixture" exp_manager.explicit_log_dir="$work" 2>&1) \
  || fail "4-node training failed: $out"
expect_contains "$out" "world 4, micro 2, global 8, accumulation 1" "topology line"
expect_contains "$out" "$graphs compiled graphs for this shape loaded from the compile cache" "compiled graphs used"
[[ $out != *"Total graphs"* ]] || fail "COMPILE=1 --train compiled instead of training"
expect_eq "$(wc -l < "$work/compiler.log")" "$graphs" "training compiled nothing"
# The NxDT progress line, one per log step in a log (not a terminal).
loss_at() { sed -n "s/.* $1\/40 \[.*reduced_train_loss=\([0-9.]*\),.*/\1/p" <<<"$out"; }
first=$(loss_at 10)
last=$(loss_at 40)
[ -n "$first" ] && [ -n "$last" ] || fail "no loss lines: $out"
awk -v a="$first" -v b="$last" 'BEGIN { exit !(b < a - 0.5) }' || fail "loss did not fall: step 10 $first, step 40 $last"
[ -f "$work/checkpoints/checkpoint-40.bin" ] || fail "no checkpoint written"
ls "$work/checkpoints" | grep -q tmp && fail "temporary checkpoint file left behind"

# The generic kernels train the same model (the loss falls there too).
out=$(srun --mpi=pmix -N4 -n4 "$native" --train --kernels=generic --config "$fixture" \
  exp_manager.explicit_log_dir="$work/generic" 2>&1) || fail "4-node training with the generic kernels failed: $out"
expect_contains "$out" "generic kernels (--kernels=generic)" "generic kernels used"
first=$(loss_at 10)
last=$(loss_at 40)
awk -v a="$first" -v b="$last" 'BEGIN { exit !(b < a - 0.5) }' || fail "generic: loss did not fall: $first -> $last"
out=$(srun -N1 -n1 "$native" --train --kernels=fast --config "$fixture" 2>&1) && fail "--kernels=fast accepted"
expect_contains "$out" "--kernels = fast: give auto" "bad --kernels value is one Problem"

out=$(srun --mpi=pmix -N4 -n4 "$native" --config "$fixture" exp_manager.explicit_log_dir="$work" trainer.max_steps=50 2>&1) \
  || fail "resumed training failed: $out"
expect_contains "$out" "resumed from $work/checkpoints/checkpoint-40.bin at step 40" "resume"
expect_contains "$out" "| 50/50 [" "resumed run reaches its last step"

# Cancel a long run: every rank agrees to stop at the next step, rank 0 checkpoints, exit 143.
rm -rf "$work/checkpoints"
job=$(sbatch --parsable -N4 -o "$work/long.out" --wrap "srun --mpi=pmix -n4 $native --config $fixture \
  exp_manager.explicit_log_dir=$work trainer.max_steps=100000000 trainer.log_every_n_steps=1")
for _ in $(seq 1 300); do grep -q 'global_step=3.000' "$work/long.out" 2>/dev/null && break; sleep 0.1; done
grep -q 'global_step=3.000' "$work/long.out" || fail "long run did not start: $(cat "$work/long.out")"
scancel --signal=TERM "$job"   # to the steps, as Slurm does before a time limit with --signal
for _ in $(seq 1 100); do [ -z "$(squeue -h -j "$job" 2>/dev/null)" ] && break; sleep 0.1; done
grep -q "stopped by signal after step" "$work/long.out" || fail "no clean stop on SIGTERM: $(tail -5 "$work/long.out")"
stopped=$(sed -n 's/^stopped by signal after step \([0-9]*\);.*/\1/p' "$work/long.out")
[ -f "$work/checkpoints/checkpoint-$stopped.bin" ] || fail "no checkpoint after SIGTERM: $(ls "$work/checkpoints")"
# ... and a requeued run resumes from exactly that step.
out=$(srun --mpi=pmix -N4 -n4 "$native" --config "$fixture" exp_manager.explicit_log_dir="$work" \
  trainer.max_steps=$((stopped + 1)) 2>&1) || fail "resume after SIGTERM failed: $out"
expect_contains "$out" "resumed from $work/checkpoints/checkpoint-$stopped.bin at step $stopped" "resume after SIGTERM"
