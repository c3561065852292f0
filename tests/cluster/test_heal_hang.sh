# Issue 21, done-when (c): out of a hang. On its own 5-node cpu cluster, a 4-node native
# job (sbatch --requeue, as the README says) trains with a checkpoint every 5 steps and
# launch.hang_timeout=15; once it has checkpointed, one rank's trn-train-native is
# SIGSTOPped (the documented double of a rank that stops making progress: its peers wait
# for it in the next collective, forever). Expected:
#  * every node's run notices within the timeout (+ slack) and its log holds its ranks'
#    stacks (SIGUSR2), the stopped rank's too (SIGCONT after the USR2; the log says so);
#  * the stopped rank's node blames itself: DRAINED, with a Reason naming trn-train;
#  * the job is requeued (same id), runs on the other 4 nodes, resumes from its
#    checkpoint (the trainer says the step) and ends COMPLETED with every step trained.
source "$(dirname "$0")/lib.sh"
start=$SECONDS
own_cluster_work hang 5
job_log=$work/out

steps=150
id=$(sbatch --parsable --requeue -N4 -o "$work/out" --wrap "srun $TRN_TRAIN run --conf $TRN_TOP/conf/tiny_llama_native.yaml \
  trainer.max_steps=$steps trainer.log_every_n_steps=1 exp_manager.checkpoint_callback_params.every_n_train_steps=5 \
  launch.hang_timeout=15 launch.cache_dir=$work/cache")
checkpointed() {
  case $(job_state) in FAILED|CANCELLED|COMPLETED|TIMEOUT) fail "the first run ended $(job_state) before step 5: $(tail -5 "$work/out")" ;; esac
  grep -q '^checkpoint: step 5 ' "$work/out" 2>/dev/null
}
wait_for "the first run to train and checkpoint step 5" 90 checkpointed
# The rank on the job's third node: its trn-train-native, found by its environment.
node=$(scontrol show hostnames "$(squeue -h -j "$id" -o %N)" | sed -n 3p)
pid=""
for p in $(pgrep -f "bin/trn-train-native" || true); do
  env_of=$(tr '\0' '\n' < "/proc/$p/environ" 2>/dev/null || true)
  # This cluster's job only: other clusters on this host have job ids and node names like it.
  grep -qx "SLURM_CONF=$SLURM_CONF" <<< "$env_of" && grep -qx "SLURM_JOB_ID=$id" <<< "$env_of" &&
    grep -qx "SLURMD_NODENAME=$node" <<< "$env_of" && pid=$p
done
[ -n "$pid" ] || fail "no trn-train-native of job $id on $node"
kill -STOP "$pid"
stopped_at=$SECONDS
noticed() { grep -q 'no step progress on' "$work/logs/$id/0/2/log" 2>/dev/null; }  # node 2 is $node
wait_for "the hang to be noticed" 40 noticed
took=$((SECONDS - stopped_at))
echo "hang noticed $took s after the SIGSTOP (limit 15 s)"
[ "$took" -le 30 ] || fail "hang noticed after $took s, limit 15 s"
requeued() { [ "$(job_restarts)" = 1 ]; }
wait_for "the job to be requeued" 40 requeued

log2=$(cat "$work/logs/$id/0/2/log")
expect_contains "$log2" "$node is to blame: rank 2 (pid $pid) is stopped" "the stopped rank's node blames itself"
expect_contains "$log2" "rank 2 (pid $pid) on $node was stopped (state T): SIGCONT follows" "the log names the stopped rank"
expect_contains "$log2" "trn-train-native: stack of rank 2 (pid $pid) on $node:" "the stopped rank's stack"
expect_contains "$log2" "trn-train-native: end of the stack of rank 2" "the stopped rank's whole stack"
for n in 0 1 3; do
  log=$(cat "$work/logs/$id/0/$n/log")
  expect_contains "$log" "trn-train-native: stack of rank $n " "rank $n's stack in node $n's log"
  expect_contains "$log" "dumping the stacks of " "node $n heard of the hang"
  expect_contains "$log" ": its ranks wait for another node" "node $n does not blame itself"
  # The others wait for the stopped rank inside MPI: their stacks say so.
  expect_contains "$(sed -n "/stack of rank $n /,/end of the stack/p" <<< "$log")" "libmpi" "rank $n waits in MPI"
done
# DRAIN: "draining" while the first run's steps still end there, "drained" after.
[[ $(sinfo -h -n "$node" -o %T) == drain* ]] || fail "the stopped rank's node is $(sinfo -h -n "$node" -o %T), not drained"
expect_contains "$(sinfo -h -n "$node" -o %E)" "trn-train: hang: rank 2" "its drain reason"

completed() {
  local st; st=$(job_state)
  case $st in
    COMPLETED) return 0 ;;
    FAILED|CANCELLED|TIMEOUT|NODE_FAIL|BOOT_FAIL|OUT_OF_MEMORY) fail "restart 1 ended $st: $(tail -20 "$work/out")" ;;
  esac
  return 1
}
wait_for "the requeued run to complete" 120 completed
resumed=$(grep -h 'resumed from' "$work/logs/$id/1/0/log" || true)
[[ $resumed =~ at\ step\ ([0-9]+) ]] || fail "restart 1 did not resume: $(head -30 "$work/logs/$id/1/0/log")"
from=${BASH_REMATCH[1]}
# A checkpoint of the first run: a periodic one, or the one its stop (the requeue's TERM) wrote.
[ "$from" -ge 5 ] && [ "$from" -lt "$steps" ] || fail "resumed from step $from, not a checkpoint of the first run"
# The decision, once, and the requeued run's line naming it.
expect_contains "$(cat "$work/out")" "job $id, run 0: bad node; $node: hang: rank 2 (pid $pid) is stopped; drained $node; requeued (restart 1)" "the decision"
expect_contains "$(cat "$work/out")" "trn-train: restart 1 of job $id: job $id, run 0: bad node" "the requeued run's restart line"
expect_contains "$(cat "$work/logs/$id/1/0/log")" "| $steps/$steps [" "restart 1 trained to the last step"
expect_eq "$(ls "$work/logs/$id/1" | grep -cx '[0-9]*')" 4 "restart 1's nodes"
nodes1=$(scontrol show hostnames "$(scontrol show job "$id" | sed -n 's/^ *NodeList=\([^ ]*\).*/\1/p')")
expect_eq "$(wc -l <<< "$nodes1")" 4 "restart 1's nodes in Slurm"
[[ $'\n'$nodes1$'\n' != *$'\n'$node$'\n'* ]] || fail "restart 1 ran on the drained $node: $nodes1"
expect_eq "$(sinfo -h -n "$node" -o %T)" "drained" "the drained node, after the job"
echo "hang test: $((SECONDS - start)) s (resumed from step $from on $(tr '\n' ' ' <<< "$nodes1"))"
