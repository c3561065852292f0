# Issue 21, out of a hang, the nxdt path (doubles: tests/doubles/torchrun with
# TRN_DOUBLE_HANG_RESTART prints NxDT's progress bar for 3 steps, then hangs;
# tests/doubles/py-spy stands in for py-spy). A 2-node job with launch.hang_timeout=8:
# every node notices (its progress read from the `global_step=` of NxDT's progress bar),
# `py-spy dump`s each process of its backend's group into its log, blames nothing (no
# rank of it is stopped, stuck in D or gone), and node 0 requeues the job as a hang; the
# requeued run (same job id, same experiment folder) completes.
source "$(dirname "$0")/lib.sh"
work=$(mktemp -d)
id=""
trap '[ -n "$id" ] && scancel "$id" 2>/dev/null; rm -rf "$work"' EXIT
unset TRN_TRAIN_CACHE_DIR NEURON_COMPILE_CACHE_URL NEURON_CC_FLAGS
export PATH=$TRN_TOP/tests/doubles:$PATH TRN_DOUBLE_OUT=$work TRN_DOUBLE_HANG_RESTART=0
cd "$work"
touch "$work/training_orchestrator.py"
start=$SECONDS
completed() {
  local st; st=$(job_state)
  case $st in
    COMPLETED) return 0 ;;
    FAILED|CANCELLED|TIMEOUT|NODE_FAIL|BOOT_FAIL|OUT_OF_MEMORY) fail "the job ended $st: $(tail -20 "$work/out")" ;;
  esac
  return 1
}
id=$(COMPILE=0 sbatch --parsable --requeue -N2 -o "$work/out" --wrap "srun --mpi=none $TRN_TRAIN run \
  --conf $TRN_TOP/conf/hf_llama3_8B_config.yaml trainer.num_nodes=2 launch.nodes=2 launch.hang_timeout=8 \
  compiler_cache_url=$work/cache")
for _ in $(seq 1 600); do completed && break; sleep 0.2; done
completed || fail "the job did not complete (state $(job_state)): $(tail -20 "$work/out")"
expect_eq "$(job_restarts)" 1 "restarts"
for n in 0 1; do
  log=$(cat "$work/logs/$id/0/$n/log")
  expect_contains "$log" "(limit 8 s, launch.hang_timeout; last step 3): dumping the stacks of" "node $n noticed the hang"
  expect_contains "$log" ": its ranks wait for another node" "node $n blames nothing"
  expect_contains "$log" "trn-train: py-spy dump --pid " "node $n dumped its Python stacks"
  expect_contains "$log" '"MainThread"' "node $n's stacks in its log"
done
out=$(cat "$work/out")
# (a drained node would be named between the reason and the requeue)
expect_contains "$out" "job $id, run 0: hang, no node to blame; requeued (restart 1)" "the decision"
expect_contains "$out" "trn-train: restart 1 of job $id: job $id, run 0: hang" "the requeued run's line"
expect_eq "$(grep -h '^experiment: ' "$work"/torchrun.* | sort -u)" "experiment: $work/nemo_experiments/$id" \
  "the requeued run's experiment folder"
echo "nxdt hang test: $((SECONDS - start)) s"
