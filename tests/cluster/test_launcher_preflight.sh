# Issue 11 item 3: `srun --ntasks-per-node=1 trn-train preflight` across the 4 trn1
# nodes reports every node in one table and passes; with one node's fake device tree
# missing a Neuron device it exits non-zero and names that node, ready for
# `sbatch --exclude=`. `submit` puts the step first in its jobs (launch.preflight).
source "$(dirname "$0")/lib.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"  # the rows meet under ./logs (launch.log_dir), as a job's log folder
# the localslurm site file (node names -> loopback) plus a cache on this filesystem
{ cat "$LOCALSLURM_DIR/site.yaml"; echo "cache_root: $work/cache"; } > "$work/site.yaml"
export TRN_TRAIN_SITE_CONF=$work/site.yaml
export PATH=$TRN_TOP/tests/doubles:$PATH  # neuronx-cc (double) answers --version on every node
conf=$TRN_TOP/conf/hf_llama3_8B_config.yaml  # nxdt, trn1.32xlarge, 4 nodes
# Every node checks the files the job reads (issue 17): the published config's
# /home/ubuntu/config.json and the orchestrator script, pointed at files that exist here.
touch "$work/training_orchestrator.py"
files="model.model_config=$TRN_TOP/tests/fixtures/tiny_llama_config.json launch.script=$work/training_orchestrator.py"

# Each node reads its own fake tree (as the plugin does through root=); BROKEN=<node>
# points that node at a copy with a device missing instead.
preflight() {
  srun -p trn1 -N4 --ntasks-per-node=1 bash -c '
    root=$LOCALSLURM_DIR/nodes/$SLURMD_NODENAME
    [ "$SLURMD_NODENAME" != "${BROKEN:-}" ] || root='"$work"'/broken
    TRN_TRAIN_NODE_ROOT=$root exec '"$TRN_TRAIN"' preflight --conf '"$conf"' --timeout 60 '"$files ${EXTRA:-}"
}

set +e
out=$(preflight 2>&1); rc=$?
set -e
echo "$out"
expect_eq "$rc" 0 "healthy cluster: preflight exit status"
for n in 1 2 3 4; do
  expect_contains "$out" $'\n'"trn1-st-trn1-$n " "healthy cluster: a row for trn1-st-trn1-$n"
done
expect_eq "$(grep -c '^trn1-st-trn1-' <<< "$out")" 4 "one row per node"
expect_contains "$out" "ok 16" "16 Neuron devices found"
expect_contains "$out" "ok 2.19.64.0" "driver version from the fake tree"
expect_contains "$out" "ok 2.15.128.0+56dc5a86" "neuronx-cc version (double)"
expect_contains "$out" "ok trn1.32xlarge/lnc1" "instance against the plan"
expect_contains "$out" "ok 127.0.0.1" "master address"
expect_contains "$out" "preflight: ok: 4 nodes" "verdict"

# A data prefix no node can read: every row fails, naming the key and the path.
set +e
out=$(EXTRA="+data.data_prefix=[$work/absent]" preflight 2>&1); rc=$?
set -e
expect_eq "$rc" 1 "missing data file: preflight exit status"
expect_contains "$out" "data.data_prefix = $work/absent.bin (on trn1-st-trn1-2)" "missing data file named per node"

# trn1-st-trn1-3 loses neuron5: /dev node and sysfs entry
cp -a "$LOCALSLURM_DIR/nodes/trn1-st-trn1-3" "$work/broken"
rm -rf "$work/broken/dev/neuron5" "$work/broken/sys/class/neuron_device/neuron5" \
  "$work/broken/sys/devices/virtual/neuron_device/neuron5"
set +e
export BROKEN=trn1-st-trn1-3
out=$(preflight 2>&1); rc=$?
unset BROKEN
set -e
echo "$out"
[ "$rc" != 0 ] || fail "broken node: preflight exited 0"
expect_contains "$out" "FAIL 15" "the broken node's device column"
expect_contains "$out" "preflight: FAIL on 1 of 4 nodes: trn1-st-trn1-3" "verdict names the node"
expect_contains "$out" "sbatch --exclude=trn1-st-trn1-3" "exclude hint"
expect_contains "$out" "30 NeuronCores, trn1.32xlarge has 32" "why"

# Outside a step: this node alone (no fake tree: no devices, so FAIL for a trn1 plan)
set +e
out=$(env -u TRN_TRAIN_NODE_ROOT "$TRN_TRAIN" preflight --conf "$TRN_TOP/conf/tiny_llama_native.yaml" 2>&1); rc=$?
set -e
echo "$out"
expect_eq "$rc" 0 "standalone cpu plan"
expect_contains "$out" "preflight: ok: 1 node" "standalone verdict"

# submit: the preflight step comes first in both jobs, and launch.preflight=false drops it
dry=$("$TRN_TRAIN" submit --conf "$conf" --dry-run)
expect_eq "$(grep -c "srun --ntasks-per-node=1 $TRN_TRAIN preflight --conf $conf && srun" <<< "$dry")" 2 "submit runs preflight first"
dry=$("$TRN_TRAIN" submit --conf "$conf" --dry-run launch.preflight=false)
[[ $dry != *"trn-train preflight"* ]] || fail "launch.preflight=false still runs preflight: $dry"
