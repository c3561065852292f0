# Issue 11 item 5: the examples run on the local cluster. Every examples/*.sbatch of a
# Neuron config that fits it (trn1.32xlarge x4, trn2.48xlarge x2) is submitted as it
# is shipped, against the Neuron test doubles (tests/doubles): its preflight step, then
# COMPILE=1, then COMPILE=0, must all succeed on every node. Examples of bigger configs
# (70B: 8-16 nodes, 405B: 64) are listed as not run. The native example runs in
# test_installed_package.sh and test_trainer_native.sh. The acceptance job
# (examples/acceptance.sbatch) runs on the 4 trn1 nodes: its report says PASS with the
# loss falling; with an experiment folder it cannot write, the report says FAIL, names
# the failed steps, and the job fails.
source "$(dirname "$0")/lib.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
unset NEURON_COMPILE_CACHE_URL NEURON_CC_FLAGS
cd "$work"
# The site: node names -> loopback (localslurm's) and the configs. The cache: here
# (the published configs name /workspace/neuron_cache, which preflight rightly fails).
{ cat "$LOCALSLURM_DIR/site.yaml"; echo "conf_dirs: [$TRN_TOP/conf]"; } > site.yaml
export TRN_TRAIN_SITE_CONF=$work/site.yaml TRN_DOUBLE_OUT=$work TRN_TRAIN_CACHE_DIR=$work/cache
# `trn-train` as the scripts call it, reading each node's fake device tree where a
# real node has / (TRN_TRAIN_NODE_ROOT, as the plugin's root=).
mkdir -p bin
cat > bin/trn-train <<EOF
#!/bin/sh
TRN_TRAIN_NODE_ROOT=$LOCALSLURM_DIR/nodes/\$SLURMD_NODENAME exec $TRN_TRAIN "\$@"
EOF
chmod +x bin/trn-train
export PATH=$work/bin:$TRN_TOP/tests/doubles:$PATH
# The files the shipped configs name, which preflight checks on every node (issue 17):
# NxDT's orchestrator script in the submit folder (a stand-in: the torchrun double does
# not run it) and the HF config the published configs name, created only if absent.
touch training_orchestrator.py
hf_config=/home/ubuntu/config.json
if [ ! -e "$hf_config" ]; then
  mkdir -p "$(dirname "$hf_config")" && cp "$TRN_TOP/tests/fixtures/tiny_llama_config.json" "$hf_config" ||
    fail "cannot create $hf_config, which the published configs name (run the tests as root)"
  trap 'rm -rf "$work"; rm -f "$hf_config"' EXIT
fi

declare -A fits=([trn1.32xlarge]=4 [trn2.48xlarge]=2) nodes_of=()
jobs=() not_run=()
for ex in "$TRN_TOP"/examples/*.sbatch; do
  name=$(basename "$ex" .sbatch)
  inst=$(sed -n 's/^#SBATCH --constraint=//p' "$ex")
  nodes=$(sed -n 's/^#SBATCH --nodes=//p' "$ex")
  [ -n "$inst" ] || continue  # the native example (no Neuron instance)
  if [ -z "${fits[$inst]:-}" ] || [ "$nodes" -gt "${fits[$inst]}" ]; then
    not_run+=("$name ($nodes x $inst)")
    continue
  fi
  # All at once (Slurm queues what does not fit yet); each its own doubles' folder.
  # -p all: the shipped --constraint picks the nodes, as on a cluster with one partition.
  mkdir -p "$work/$name"
  id=$(TRN_DOUBLE_OUT=$work/$name sbatch --parsable -p all -o "$work/$name.out" "$ex") || fail "$name: sbatch refused it"
  jobs+=("$id:$name")
  nodes_of[$name]=$nodes
done
[ "${#jobs[@]}" -ge 3 ] || fail "expected at least 3 runnable Neuron examples, found ${#jobs[@]}"
ids=$(printf '%s\n' "${jobs[@]}" | cut -d: -f1 | paste -sd,)
timeout 400 bash -c "while [ -n \"\$(squeue -h -j $ids -o %i 2>/dev/null)\" ]; do sleep 0.5; done" || fail "examples still running: $(squeue)"
for j in "${jobs[@]}"; do
  id=${j%%:*} name=${j#*:} nodes=${nodes_of[${j#*:}]}
  out=$(cat "$work/$name.out")
  state=$(scontrol show job "$id" -o 2>/dev/null | grep -o 'JobState=[A-Z]*' || true)
  expect_eq "$state" "JobState=COMPLETED" "$name: job $id ($out)"
  expect_contains "$out" "preflight: ok: $nodes node" "$name: preflight"
  for ((n = 0; n < nodes; n++)); do
    [ -f "$work/$name/torchrun.$n" ] || fail "$name: node $n did not start the backend: $out"
  done
  # An example with a COMPILE=1 step is judged by its summary; torchneuron's has none
  # (TorchNeuron compiles on first use): its 64 workers per node must have started instead.
  if grep -q '^COMPILE=1 ' "$TRN_TOP/examples/$name.sbatch"; then
    expect_contains "$out" "Total failed compilations: 0" "$name: compile summary"
  else
    workers=$(ls "$work/$name" | grep -c '^worker\.0\.' || true)
    expect_eq "$workers" 64 "$name: TorchNeuron workers on node 0"
  fi
  echo "ran $name on $nodes node(s)"
done
echo "not run here (too big for the local cluster): ${not_run[*]}"

# The acceptance job: preflight, the native engine compiled and trained across the
# nodes, one report.
acceptance=$TRN_TOP/examples/acceptance.sbatch
sbatch --wait -N4 -p trn1 -o "$work/acceptance.out" "$acceptance" >/dev/null ||
  fail "acceptance job failed: $(cat "$work/acceptance.out")"
out=$(sed -n '/^trn-train acceptance report/,$p' "$work/acceptance.out")
expect_contains "$out" "4 nodes (trn1-st-trn1-[1-4])" "acceptance report: the nodes"
for s in preflight compile train; do expect_contains "$out" "  $s: ok" "acceptance report: $s"; done
loss=$(sed -n 's/^  training: loss \([0-9.]*\) at step 10 -> \([0-9.]*\) at step 60, [0-9]* tokens\/s on 4 ranks$/\1 \2/p' <<<"$out")
[ -n "$loss" ] || fail "acceptance report: no training line: $out"
awk -v a="${loss% *}" -v b="${loss#* }" 'BEGIN { exit !(b < a) }' || fail "acceptance report: the loss did not fall: $out"
expect_contains "$out" "verdict: PASS" "acceptance verdict"
# Its preflight judged each node as the trn1.32xlarge it is (not the config's cpu): the
# device and instance checks ran on all 4.
[ "$(grep -cE '^trn1-st-trn1-[1-4] .*ok 16 .*ok trn1.32xlarge/lnc1' "$work/acceptance.out")" = 4 ] ||
  fail "acceptance preflight did not check the trn1 hardware: $(cat "$work/acceptance.out")"
expect_contains "$(cat "$work/acceptance.out")" "collective: ok: 4 pairs, all-reduce (nccom-test)" "acceptance: the collective test (nccom-test double)"
expect_contains "$(cat "$work/acceptance.out")" "collective: ok: 4 pairs, MPI all-reduce (trn-train-native)" "acceptance: the MPI all-reduce test"
touch "$work/not-a-folder"  # a folder below a file cannot be made, not even by root
# ... and node 4 loses a Neuron device (its fake tree's neuron7, put back afterwards).
broken=$LOCALSLURM_DIR/nodes/trn1-st-trn1-4
mkdir -p "$work/aside"
mv "$broken/sys/devices/virtual/neuron_device/neuron7" "$work/aside/sysfs" && mv "$broken/dev/neuron7" "$work/aside/dev"
restore() {  # once; also from the EXIT trap (under set -e, a failing trap would fail the test)
  [ -e "$work/aside/sysfs" ] || return 0
  mv "$work/aside/sysfs" "$broken/sys/devices/virtual/neuron_device/neuron7" && mv "$work/aside/dev" "$broken/dev/neuron7"
}
old_trap=$(trap -p EXIT | sed "s/^trap -- '\\(.*\\)' EXIT\$/\\1/")
trap "restore; $old_trap" EXIT
set +e
TRN_ACCEPTANCE_DIR=$work/not-a-folder/exp sbatch --wait -N4 -p trn1 -o "$work/acceptance-bad.out" "$acceptance" >/dev/null
rc=$?
set -e
restore
out=$(sed -n '/^trn-train acceptance report/,$p' "$work/acceptance-bad.out")
[ "$rc" != 0 ] || fail "an acceptance job whose training failed passed: $out"
expect_contains "$out" "  preflight: FAILED (exit 1)" "acceptance report: the broken node fails preflight"
expect_contains "$(cat "$work/acceptance-bad.out")" "--exclude=trn1-st-trn1-4" "acceptance preflight names the broken node"
expect_contains "$out" "  train: FAILED (exit " "acceptance report: the failed step named"
expect_contains "$out" "verdict: FAIL" "acceptance verdict on failure"
echo "acceptance job: PASS on 4 nodes, FAIL reported when a node lost a device and training cannot write"
