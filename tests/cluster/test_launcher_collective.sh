# Issue 22: `srun --ntasks-per-node=1 trn-train preflight --collective` on the 4 trn1 nodes
# runs nccom-test (tests/doubles/nccom-test, a TEST DOUBLE of the Neuron tool) between node
# pairs in two rounds, each pair from its first node with NEURON_RT_ROOT_COMM_ID there,
# and passes with every pair fast; when one node is slow (the double's
# NCCOM_TEST_DOUBLE_SLOW) its two pairs are slow and the step fails naming that node for
# sbatch --exclude. Then the native engine's MPI all-reduce (trn-train-native
# --collective-test) over the same pairs, on a native plan: one line per pair from the
# step's MPI world, and a step without MPI fails with why, naming no node. ~30 s here.
source "$(dirname "$0")/lib.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"  # the rows and pair results meet under ./logs (launch.log_dir)
{ cat "$LOCALSLURM_DIR/site.yaml"; echo "cache_root: $work/cache"; } > "$work/site.yaml"
export TRN_TRAIN_SITE_CONF=$work/site.yaml NCCOM_TEST_DOUBLE_LOG=$work/nccom.log
export PATH=$TRN_TOP/tests/doubles:$PATH  # neuronx-cc and nccom-test (doubles)
conf=$TRN_TOP/conf/hf_llama3_8B_config.yaml  # nxdt, trn1.32xlarge, 4 nodes
touch "$work/training_orchestrator.py"
files="model.model_config=$TRN_TOP/tests/fixtures/tiny_llama_config.json launch.script=$work/training_orchestrator.py"
preflight() {
  srun -p trn1 -N4 --ntasks-per-node=1 bash -c '
    TRN_TRAIN_NODE_ROOT=$LOCALSLURM_DIR/nodes/$SLURMD_NODENAME exec '"$TRN_TRAIN"' preflight --collective --conf '"$conf"' --timeout 60 '"$files"
}

set +e
out=$(preflight 2>&1); rc=$?
set -e
echo "$out"
expect_eq "$rc" 0 "every pair fast: exit status"
expect_contains "$out" "preflight: ok: 4 nodes" "the rows"
for pair in 1+trn1-st-trn1-2 3+trn1-st-trn1-4 2+trn1-st-trn1-3 4+trn1-st-trn1-1; do
  expect_contains "$out" "collective: trn1-st-trn1-$pair all-reduce (nccom-test) busbw 47.09 GB/s" "pair $pair"
done
expect_contains "$out" "collective: ok: 4 pairs, all-reduce (nccom-test)" "verdict"
expect_eq "$(wc -l < "$work/nccom.log")" 4 "nccom-test runs (one per pair)"
expect_eq "$(grep -c -- '-r 64 -N 2 --hosts trn1-st-trn1-[1-4] trn1-st-trn1-[1-4] root 127.0.0.1:[0-9]' "$work/nccom.log")" 4 \
  "each with both nodes' 32 workers and the root's address ($(cat "$work/nccom.log"))"

set +e
out=$(NCCOM_TEST_DOUBLE_SLOW=trn1-st-trn1-3 preflight 2>&1); rc=$?
set -e
echo "$out"
expect_eq "$rc" 1 "a slow node: exit status"
expect_contains "$out" "collective: trn1-st-trn1-3+trn1-st-trn1-4 all-reduce (nccom-test) busbw 11.77 GB/s, below 80% of the fastest pair's 47.09 GB/s SLOW" "slow pair"
expect_contains "$out" "collective: trn1-st-trn1-2+trn1-st-trn1-3 all-reduce (nccom-test) busbw 11.77 GB/s" "its other pair"
expect_contains "$out" "collective: FAIL: all-reduce (nccom-test): slow node(s): --exclude=trn1-st-trn1-3" "the slow node named"
[[ $out != *"MPI all-reduce"* ]] || fail "an MPI test on an nxdt plan"

# The native engine: its MPI all-reduce between the same pairs, in the step's MPI world
# (localslurm's MpiDefault=pmix). The local cluster's nodes are one machine, so each
# figure is shown and not judged (on a real cluster the same lines are judged as nccom-test's).
native() {
  srun -p trn1 -N4 --ntasks-per-node=1 "$@" "$TRN_TRAIN" preflight --collective --conf tiny_llama_native \
    trainer.num_nodes=4 data.global_batch_size=8 --timeout 60
}
set +e
out=$(native 2>&1); rc=$?
set -e
echo "$out"
expect_eq "$rc" 0 "native: exit status"
for pair in 1+trn1-st-trn1-2 3+trn1-st-trn1-4 2+trn1-st-trn1-3 4+trn1-st-trn1-1; do
  grep -qE "^collective: trn1-st-trn1-${pair/+/\\+} MPI all-reduce \(trn-train-native\) busbw [0-9]+\.[0-9]{2} GB/s \(both nodes on one machine: not judged\)$" <<<"$out" ||
    fail "native: no bandwidth for pair $pair"
done
expect_contains "$out" "collective: ok: 4 pairs, MPI all-reduce (trn-train-native)" "native verdict"
[[ $out != *nccom-test* ]] || fail "nccom-test on a cpu plan"

set +e
out=$(native --mpi=none 2>&1); rc=$?
set -e
echo "$out"
expect_eq "$rc" 1 "native without MPI in the step: exit status"
expect_contains "$out" "(does the step start MPI? srun --mpi=pmix, or MpiDefault=pmix in slurm.conf) SLOW" "why"
expect_contains "$out" "collective: FAIL: MPI all-reduce (trn-train-native): no pair completed the test (above); no node is named" \
  "no node blamed"
