# Issue 21, done-when (b): a node that breaks during training is taken out and the job
# goes on without it; then (2) the same for a node that preflight finds bad. On a 5-node cluster of its own, a 4-node native job submitted with
# `trn-train submit` (requeueable, as the README says) trains with periodic checkpoints;
# after the checkpoint at step 10 the trainer on one node (not node 0) prints the Neuron
# runtime's uncorrectable-HBM error and dies (tests/doubles/trn-train-native-hardware-error,
# installed as trn-train-native in a copy of the build's bin/ folder, the one `run` starts).
# Expected: that node's `run` names the node and the line, drains it (Reason names
# trn-train), records decision.json in logs/<job>/0/heal/ and requeues the job; the same
# job id runs again on the other 4 nodes (the spare among them), resumes from its
# checkpoint and ends COMPLETED.
source "$(dirname "$0")/lib.sh"
start=$SECONDS
own_cluster_work heal 5

# The build's programs, with the double in the native trainer's place.
mkdir -p "$work/tree/bin"
cp "$TRN_BUILD"/bin/trn-train "$work/tree/bin/"
cp "$TRN_TOP/tests/doubles/trn-train-native-hardware-error" "$work/tree/bin/trn-train-native"
bad=$(sinfo -h -N -p all -o %N | sort | sed -n 2p)  # the second of the 4 nodes Slurm gives first
export TRN_DOUBLE_REAL_NATIVE=$TRN_BUILD/bin/trn-train-native TRN_DOUBLE_BAD_NODE=$bad \
  TRN_DOUBLE_FAIL_AFTER="$work/nemo_experiments/tiny_llama/checkpoints/checkpoint-10.bin"
steps=60

completed() {
  local st; st=$(job_state)
  case $st in
    COMPLETED) return 0 ;;
    FAILED|CANCELLED|TIMEOUT|NODE_FAIL|BOOT_FAIL|OUT_OF_MEMORY) fail "job ended $st: $(tail -30 "$work/slurm-$id.out")" ;;
  esac
  return 1
}
node_state() { scontrol show node "$1" | sed -n 's/.*State=\([A-Z_+]*\).*/\1/p'; }
node_reason() { scontrol show node "$1" | sed -n 's/^ *Reason=\(.*\) \[.*/\1/p'; }

out=$("$work/tree/bin/trn-train" submit --conf "$TRN_TOP/conf/tiny_llama_native.yaml" --train-only \
  launch.preflight=false trainer.max_steps=$steps 2>&1) || fail "submit failed: $out"
id=$(sed -n 's/^train job \([0-9]*\)$/\1/p' <<< "$out")
[ -n "$id" ] || fail "no train job id in: $out"
job_log=$work/slurm-$id.out
# Requeued once; a job that ended instead fails at once, naming its state.
requeued() {
  case $(job_state) in COMPLETED|FAILED|CANCELLED|TIMEOUT|NODE_FAIL) fail "job ended $(job_state) instead of requeueing: $(tail -30 "$work/slurm-$id.out")" ;; esac
  [ "$(job_restarts)" = 1 ]
}
wait_for "the job to run again after the hardware error" 90 requeued
wait_for "the requeued job to complete" 150 completed
log=$(cat "$work/slurm-$id.out")
expect_contains "$log" "trn-train: node $bad: hardware error (nrt-hbm-ue): " "the bad node's console line"
expect_contains "$log" "nrt_execute: status=1201" "the matched runtime line"
expect_contains "$(node_state "$bad")" "DRAIN" "the bad node's state"
expect_contains "$(node_reason "$bad")" "trn-train: Neuron runtime: uncorrectable HBM memory error" "the drain reason"
decision=$work/logs/$id/0/heal/decision.json
[ -f "$decision" ] || fail "no $decision"
expect_contains "$(cat "$decision")" '"reason":"bad-node"' "decision reason"
expect_contains "$(cat "$decision")" "\"decided_by\":\"$bad\"" "the node that saw the error decided"
expect_contains "$(cat "$decision")" "\"drained\":[\"$bad\"]" "decision: drained"
expect_contains "$(cat "$decision")" '"requeued":true' "decision: requeued"
# The second run: the other 4 nodes, resumed from the checkpoint at step 10 (or a later
# one written before the error's line was seen), every remaining step trained.
ran=$(scontrol show hostnames "$(scontrol show job "$id" | sed -n 's/^ *NodeList=\(.*\)/\1/p')")
expect_eq "$(wc -w <<< "$ran")" 4 "nodes of the requeued run"
grep -qx "$bad" <<< "$ran" && fail "the requeued run ran on the drained node $bad: $ran"
resumed=$(sed -n 's/.*resumed from .*checkpoint-\([0-9]*\)\.bin at step \([0-9]*\).*/\2/p' "$work/slurm-$id.out" | tail -1)
[ -n "$resumed" ] && [ "$resumed" -ge 10 ] && [ "$resumed" -lt "$steps" ] ||
  fail "the requeued run did not resume from a checkpoint of the first: $(grep -i resum "$work/slurm-$id.out")"
expect_contains "$log" "| $steps/$steps [" "trained to the end"
echo "bad node: $((SECONDS - start)) s (cluster up included)"

# 2. Preflight finds a node bad at the job's start: a second job, as `submit` makes it
# (preflight first), where one node (not node 0) has no shared filesystem at the cache's
# path. Each node's environment differs only through Slurm's TaskProlog, which gives
# that node a TRN_TRAIN_CACHE_DIR under a regular file (an unmounted mount point, as
# preflight sees one). Expected: node 0 prints the verdict, drains that node (Reason names
# trn-train and the failed check), records the decision and requeues; the second run's
# preflight passes on the 4 others and the job ends COMPLETED.
scontrol update NodeName="$bad" State=RESUME
pbad=$(sinfo -h -N -p all -o %N | sort | sed -n 3p)
touch "$work/unmounted"
cat > "$work/taskprolog" <<PROLOG
#!/bin/sh
[ "\$SLURMD_NODENAME" != "$pbad" ] || echo "export TRN_TRAIN_CACHE_DIR=$work/unmounted/cache"
PROLOG
chmod +x "$work/taskprolog"
echo "TaskProlog=$work/taskprolog" >> "$LOCALSLURM_DIR/slurm.conf"
scontrol reconfigure
prolog_on() { [ "$(srun -w "$pbad" -N1 printenv TRN_TRAIN_CACHE_DIR 2>/dev/null)" = "$work/unmounted/cache" ]; }
wait_for "the TaskProlog on $pbad" 30 prolog_on
export TRN_DOUBLE_BAD_NODE=""  # the trainer runs unchanged everywhere
id=$("$work/tree/bin/trn-train" submit --conf "$TRN_TOP/conf/tiny_llama_native.yaml" --train-only \
  trainer.max_steps=10 exp_manager.explicit_log_dir="$work/exp2" 2>&1 | sed -n 's/^train job \([0-9]*\)$/\1/p')
[ -n "$id" ] || fail "preflight: no train job id"
job_log=$work/slurm-$id.out
wait_for "the job to run again after preflight" 90 requeued
wait_for "the requeued job to complete" 120 completed
log=$(cat "$work/slurm-$id.out")
expect_contains "$log" "preflight: FAIL on 1 of 4 nodes" "the first run's verdict"
expect_contains "$log" "preflight: ok: 4 nodes" "the second run's verdict"
expect_contains "$(node_state "$pbad")" "DRAIN" "preflight: the bad node's state"
expect_contains "$(node_reason "$pbad")" "trn-train: preflight: cache: $work/unmounted" "preflight: the drain reason"
decision=$work/logs/$id/0/heal/decision.json
[ -f "$decision" ] || fail "preflight: no $decision"
expect_contains "$(cat "$decision")" "\"drained\":[\"$pbad\"]" "preflight decision: drained"
expect_contains "$(cat "$decision")" '"requeued":true' "preflight decision: requeued"
ran=$(scontrol show hostnames "$(scontrol show job "$id" | sed -n 's/^ *NodeList=\(.*\)/\1/p')")
grep -qx "$pbad" <<< "$ran" && fail "the requeued run ran on the drained node $pbad: $ran"
expect_contains "$log" "| 10/10 [" "preflight: trained to the end"
echo "bad node, then preflight: $((SECONDS - start)) s (cluster up included)"
