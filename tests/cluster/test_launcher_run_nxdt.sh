# `srun trn-train` with the nxdt backend on 4 nodes, one task per node (the
# tutorial's `sbatch --nodes N --wrap "srun trn-train"`): each task makes its
# per-restart log folder and execs the exact backend command -- here the test
# doubles of neuron_parallel_compile and torchrun (tests/doubles), which record
# argv and environment per node.
source "$(dirname "$0")/lib.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export PATH=$TRN_TOP/tests/doubles:$PATH TRN_DOUBLE_OUT=$work
cd "$work"
for compile in 1 0; do
  rm -f "$work"/torchrun.*
  COMPILE=$compile sbatch --wait -N4 -o "$work/out" --wrap "srun $TRN_TRAIN run --conf $TRN_TOP/conf/hf_llama3_8B_config.yaml" \
    >/dev/null || fail "COMPILE=$compile job failed: $(cat "$work/out")"
  for n in 0 1 2 3; do
    f=$work/torchrun.$n
    [ -f "$f" ] || fail "COMPILE=$compile: node $n did not start the backend: $(cat "$work/out")"
    a=$(cat "$f")
    expect_contains "$a" "--nproc_per_node 32 --nnodes 4 --node_rank $n --master_addr 127.0.0.1" "node $n torchrun argv"
    expect_contains "$a" "training_orchestrator.py --config-path=$TRN_TOP/conf --config-name=hf_llama3_8B_config" "node $n script"
    expect_contains "$a" "trainer.devices=32 trainer.num_nodes=4" "node $n Hydra overrides"
    expect_contains "$a" "COMPILE=$compile" "node $n COMPILE"
    expect_contains "$a" "NEURON_RT_ROOT_COMM_ID=127.0.0.1:" "node $n root comm id"
    expect_contains "$a" "WORLD_SIZE=128" "node $n world"
    if [ "$compile" = 1 ]; then expect_contains "$a" "parent: neuron_parallel_compile" "node $n compile wrapper"
    else expect_contains "$a" "parent: " "node $n"; [[ $a != *"parent: neuron_parallel_compile"* ]] || fail "training ran under neuron_parallel_compile"; fi
    [ -d "$work/logs" ] || fail "no logs/ folder made"
  done
  # every node agrees on the rendezvous
  expect_eq "$(grep -h '^MASTER_PORT=' "$work"/torchrun.* | sort -u | wc -l)" 1 "one MASTER_PORT"
  expect_eq "$(grep -h '^NEURON_RT_ROOT_COMM_ID=' "$work"/torchrun.* | sort -u | wc -l)" 1 "one root comm id"
done
ls -d "$work"/logs/*/0/3 >/dev/null || fail "per-node log folder logs/<job>/0/3 missing: $(find "$work/logs" -maxdepth 3)"
