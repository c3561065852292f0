# `srun trn-train` with the nxdt backend on 4 nodes, one task per node (the
# tutorial's `sbatch --nodes N --wrap "srun trn-train"`), against the Neuron test
# doubles (tests/doubles: neuron_parallel_compile, neuronx-cc, torchrun), issue 9:
#  * COMPILE=1 then COMPILE=0 run the exact commands on every node; the compile
#    extracts and compiles the graphs into the cache in Neuron's layout, training
#    finds them there;
#  * each node's console log logs/<job>/<restart>/<node>/log gets the output (B2);
#  * every node gets the same experiment location, not its log folder (B1);
#  * NEURON_CC_FLAGS carries no flag twice, and not the orchestrator's flags (B3);
#  * torchrun / neuron_parallel_compile missing on PATH: one error each, exit 2;
#  * issue 19: training_orchestrator.py is handed over as an absolute path, and a job
#    started where it is not found stops with exit 2 naming the places looked in; one
#    Slurm task per worker (srun --ntasks-per-node=32) forms torchrun's world: every
#    process sees the whole world, a distinct rank and its own core, as torch-xla
#    decides them (the orchestrator double replays torch_xla/_internal/neuron.py).
source "$(dirname "$0")/lib.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
unset TRN_TRAIN_CACHE_DIR NEURON_COMPILE_CACHE_URL NEURON_CC_FLAGS
export PATH=$TRN_TOP/tests/doubles:$PATH TRN_DOUBLE_OUT=$work
cd "$work"
cp "$TRN_TOP/tests/doubles/training_orchestrator.py" "$work/"  # found in the working folder, as in the seed's examples/
conf=$TRN_TOP/conf/hf_llama3_8B_config.yaml
run="srun $TRN_TRAIN run --conf $conf compiler_cache_url=$work/cache"
declare -A job
for compile in 1 0; do
  rm -f "$work"/torchrun.*
  id=$(COMPILE=$compile sbatch --parsable --wait -N4 -o "$work/out.$compile" --wrap "$run") \
    || fail "COMPILE=$compile job failed: $(cat "$work/out.$compile")"
  job[$compile]=$id
  for n in 0 1 2 3; do
    f=$work/torchrun.$n
    [ -f "$f" ] || fail "COMPILE=$compile: node $n did not start the backend: $(cat "$work/out.$compile")"
    a=$(cat "$f")
    expect_contains "$a" "--nproc_per_node 32 --nnodes 4 --node_rank $n --master_addr 127.0.0.1" "node $n torchrun argv"
    expect_contains "$a" " $work/training_orchestrator.py --config-path=$TRN_TOP/conf --config-name=hf_llama3_8B_config" "node $n script (absolute)"
    expect_contains "$a" "trainer.devices=32 trainer.num_nodes=4 exp_manager.explicit_log_dir=null" "node $n Hydra overrides"
    expect_contains "$a" "COMPILE=$compile" "node $n COMPILE"
    expect_contains "$a" "NEMO_EXPM_VERSION=$id" "node $n experiment version is the job id"
    expect_contains "$a" "NEURON_RT_ROOT_COMM_ID=127.0.0.1:" "node $n root comm id"
    expect_contains "$a" "WORLD_SIZE=128" "node $n world"
    if [ "$compile" = 1 ]; then expect_contains "$a" "parent: neuron_parallel_compile" "node $n compile wrapper"
    else [[ $a != *"parent: neuron_parallel_compile"* ]] || fail "training ran under neuron_parallel_compile"; fi
    flags=$(sed -n 's/^NEURON_CC_FLAGS=//p' "$f")
    [[ $flags != *--model-type* ]] || fail "node $n: compiler_flags exported, the orchestrator adds them again: $flags"
    dups=$(tr ' ' '\n' <<< "$flags" | grep '^-' | sed 's/=.*//' | sort | uniq -d)
    [ -z "$dups" ] || fail "node $n: NEURON_CC_FLAGS repeats $dups: $flags"
    log=$work/logs/$id/0/$n/log
    [ -s "$log" ] || fail "COMPILE=$compile: node $n console log $log is empty or missing"
    expect_contains "$(cat "$log")" "torchrun (double): node $n" "node $n console log has the backend's output"
  done
  expect_eq "$(grep -h '^experiment: ' "$work"/torchrun.* | sort -u | wc -l)" 1 "one experiment location on all nodes"
  expect_eq "$(grep -h '^MASTER_PORT=' "$work"/torchrun.* | sort -u | wc -l)" 1 "one MASTER_PORT"
  expect_eq "$(grep -h '^NEURON_RT_ROOT_COMM_ID=' "$work"/torchrun.* | sort -u | wc -l)" 1 "one root comm id"
done
expect_contains "$(cat "$work/logs/${job[1]}/0/0/log")" "||NEURON_PARALLEL_COMPILE||: Total failed compilations: 0" "compile summary in node 0's log"
expect_eq "$(ls -d "$work"/cache/neuronxcc-*/MODULE_*/model.done | wc -l)" 3 "3 graphs compiled into the cache"
expect_contains "$(cat "$work/logs/${job[0]}/0/2/log")" "Using a cached neff" "training found the compiled graphs"

# Failed compiles (collect-then-compile, and plain neuron_parallel_compile exiting 0
# after failures) are test_launcher_neuron_compile.sh.

# Missing programs: one error each before anything starts (exit 2). The PATH is an
# empty folder: /usr/bin may hold a torchrun (Debian's python3-torch, which the
# trainer benchmark installs).
mkdir "$work/nobin"
for compile in 0 1; do
  set +e
  err=$(COMPILE=$compile srun -N1 env PATH="$work/nobin" "$TRN_TRAIN" run --conf "$conf" 2>&1); rc=$?
  set -e
  expect_eq "$rc" 2 "COMPILE=$compile without the SDK on PATH: exit status"
  expect_contains "$err" "torchrun = (not on PATH)" "COMPILE=$compile missing torchrun"
  n=$(grep -c "error: neuron_parallel_compile = (not on PATH)" <<< "$err" || true)
  expect_eq "$n" "$compile" "COMPILE=$compile: neuron_parallel_compile errors"
done

# The orchestrator found nowhere (a job started in another folder): exit 2 before any
# worker, naming every place looked in (old: every worker failed "can't open file").
mkdir "$work/elsewhere"
set +e
err=$(cd "$work/elsewhere" && srun -N1 "$TRN_TRAIN" run --conf "$conf" 2>&1); rc=$?
set -e
expect_eq "$rc" 2 "orchestrator not found: exit status"
expect_contains "$err" "launch.script = training_orchestrator.py" "orchestrator not found: the key"
expect_contains "$err" "$TRN_TOP/conf/training_orchestrator.py (No such file or directory); $TRN_TOP/training_orchestrator.py (No such file or directory); $work/elsewhere/training_orchestrator.py" "orchestrator not found: the places"

# One Slurm task per worker: torchrun's world, every core once (old: 64 worlds of one).
rm -f "$work"/orchestrator.*
out=$(COMPILE=0 srun -N2 --ntasks-per-node=32 "$TRN_TRAIN" run --conf "$conf" compiler_cache_url="$work/cache" 2>&1) \
  || fail "per-worker run failed: $out"
expect_eq "$(ls "$work"/orchestrator.* | wc -l)" 64 "one orchestrator per task"
expect_eq "$(cut -d' ' -f2 "$work"/orchestrator.* | sort -u)" 64 "every process in a world of 64"
expect_eq "$(cut -d' ' -f4 "$work"/orchestrator.* | sort -n | uniq | wc -l)" 64 "64 distinct ranks"
expect_eq "$(awk '{ print $6, $10 }' "$work"/orchestrator.* | sort -u | wc -l)" 64 "32 distinct cores on each node"
expect_eq "$(awk '$4 != $6 * 32 + $8 { print }' "$work"/orchestrator.* | wc -l)" 0 "rank = node x 32 + local rank"
expect_eq "$(awk '$8 != $10 { print }' "$work"/orchestrator.* | wc -l)" 0 "each worker's core is its local rank's (the plugin's)"
expect_eq "$(cut -d' ' -f12 "$work"/orchestrator.* | sort -u)" "$work/training_orchestrator.py" "the absolute script"
