# Issue 19 (defect 1, "Done when"): `trn-train submit` of a torchneuron config on the 2
# trn2.48xlarge nodes of the local cluster (partition trn2; the plugin places cores).
#  * the submission is the training job alone (no COMPILE=1 job that planning refuses and
#    --kill-on-invalid-dep would turn into a killed train job), and it COMPLETES (the local
#    cluster keeps no accounting, so scontrol's JobState stands in for sacct's);
#  * each node's torchrun (double) starts 64 workers (LNC 2), each through `trn-train worker`,
#    and each worker (double: tests/doubles/torchtitan/train.py) sees one distinct core
#    0..63 of the plugin's 0-63 and TorchTitan's argv;
#  * a TorchTitan TOML whose degrees do not divide the world: exit 2 before any job or worker.
source "$(dirname "$0")/lib.sh"
work=$(mktemp -d)
ids=""
trap '[ -z "$ids" ] || scancel ${ids//,/ } 2>/dev/null; rm -rf "$work"' EXIT
unset TRN_TRAIN_CACHE_DIR NEURON_COMPILE_CACHE_URL NEURON_CC_FLAGS NEURON_RT_VISIBLE_CORES
{ cat "$LOCALSLURM_DIR/site.yaml"; echo "cache_root: $work/cache"; } > "$work/site.yaml"
export TRN_TRAIN_SITE_CONF=$work/site.yaml PATH=$TRN_TOP/tests/doubles:$PATH TRN_DOUBLE_OUT=$work
cd "$work"
cp "$TRN_TOP/conf/torchtitan_llama3_8B_trn2.toml" job.toml
# The shipped example, on the trn2 partition, without the preflight step: preflight reads
# the node's Neuron sysfs, which only the plugin's root= redirects here
# (test_launcher_preflight.sh and test_examples_local.sh cover it).
sed -e 's/torchtitan_config: .*/torchtitan_config: job.toml/' -e 's/^  nodes: 1$/  nodes: 2\n  partition: trn2\n  preflight: false/' \
  "$TRN_TOP/conf/torchtitan_llama3_8B_trn2.yaml" > tn.yaml

out=$("$TRN_TRAIN" submit --conf "$work/tn.yaml") || fail "submit failed: $out"
echo "$out"
expect_contains "$out" "no compile job for launch.backend = torchneuron" "submit says why it submits one job"
! grep -q '^compile job ' <<< "$out" || fail "a compile job was submitted: $out"
ids=$(sed -n 's/^train job //p' <<< "$out" | paste -sd,)
[ -n "$ids" ] || fail "no train job id in: $out"
# 128 workers start python3 (a pyenv shim of several shell scripts on some images): 2.5
# minutes on a loaded 2-core machine, so the bound is generous; only a stuck job hits it.
timeout 300 bash -c "while [ -n \"\$(squeue -h -j $ids -o %i 2>/dev/null)\" ]; do sleep 0.3; done" || fail "jobs still running: $(squeue)"
for id in ${ids//,/ }; do
  state=$(scontrol show job "$id" -o 2>/dev/null | grep -o 'JobState=[A-Z]*' || true)
  expect_eq "$state" "JobState=COMPLETED" "job $id of the submission ($(cat "$work"/logs/"$id"/0/*/log 2>/dev/null | tail -5))"
done
for node in 0 1; do
  expect_contains "$(cat "$work/torchrun.$node")" "NEURON_RT_VISIBLE_CORES=0-63" "node $node: the plugin gave the task the node's range"
  expect_eq "$(ls "$work"/worker."$node".* | wc -l)" 64 "node $node: workers started"
  cores=$(sed -n 's/^NEURON_RT_VISIBLE_CORES=//p' "$work"/worker."$node".* | sort -n | paste -sd,)
  expect_eq "$cores" "$(seq -s, 0 63)" "node $node: one distinct core per worker"
  w=$(cat "$work/worker.$node.5")
  expect_contains "$w" "argv: -m torchtitan.train --job.config_file $work/job.toml" "node $node worker 5 argv"
  expect_contains "$w" "NEURON_RT_VISIBLE_CORES=5"$'\n' "node $node worker 5 core"
  expect_contains "$w" "RANK=$((node * 64 + 5))" "node $node worker 5 rank"
  expect_contains "$w" "WORLD_SIZE=128" "node $node worker 5 world"
  expect_contains "$w" "NEURON_LOGICAL_NC_CONFIG=2" "node $node worker 5 LNC"
done

# TorchTitan degrees that do not divide the world (TP 3 of 128): exit 2, nothing submitted.
rm -f "$work"/worker.* "$work"/torchrun.*
sed -i 's/^tensor_parallel_degree = 1$/tensor_parallel_degree = 3/' job.toml
set +e
err=$("$TRN_TRAIN" submit --conf "$work/tn.yaml" 2>&1); rc=$?
set -e
expect_eq "$rc" 2 "TorchTitan degrees that do not divide the world: exit status"
expect_contains "$err" "$work/job.toml: parallelism.data_parallel_shard_degree = -1: leaves" "names the TOML file and key"
[[ $err != *"train job"* ]] || fail "a job was submitted: $err"
ls "$work"/worker.* >/dev/null 2>&1 && fail "a worker started"
true
