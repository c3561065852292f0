# spank_neuron.so on the local cluster (fake trn1/trn2 device trees per node):
# per-task NeuronCore placement, LNC, the shared root-comm id, EFA variables,
# sbatch options reaching the job's steps, user values winning; the job's own LNC and
# the launcher refusing cores that disagree with its plan (issue 19 defect 2).
source "$(dirname "$0")/lib.sh"
cd "${TMPDIR:-/tmp}"

# 4 tasks on one trn1 node: contiguous quarters, in local-task order.
out=$(srun -p trn1 -N1 -n4 bash -c 'echo $SLURM_LOCALID $NEURON_RT_VISIBLE_CORES' | sort)
expect_eq "$out" $'0 0-7\n1 8-15\n2 16-23\n3 24-31' "trn1 4 tasks/node placement"

# Across 4 nodes x 4 tasks: same placement per node, one root-comm id for the step.
out=$(srun -p trn1 -N4 -n16 --ntasks-per-node=4 bash -c 'echo $SLURM_LOCALID $NEURON_RT_VISIBLE_CORES' | sort -u)
expect_eq "$out" $'0 0-7\n1 8-15\n2 16-23\n3 24-31' "trn1 4 nodes x 4 tasks placement"
ids=$(srun -p trn1 -N4 -n16 --ntasks-per-node=4 printenv NEURON_RT_ROOT_COMM_ID | sort -u)
[ "$(wc -l <<< "$ids")" = 1 ] || fail "tasks of one step disagree on NEURON_RT_ROOT_COMM_ID: $ids"
[[ $ids =~ ^127\.0\.0\.1:(63[0-9]{3})$ ]] || fail "NEURON_RT_ROOT_COMM_ID '$ids' is not <ip of first node>:<63000-63999>"

# One step over trn1 and trn2 nodes (partition "all"): every node id, not only 0,
# reads its own device tree, and all agree on the first node's root-comm id.
out=$(srun -p all -N6 -n6 --ntasks-per-node=1 bash -c \
  'echo $SLURM_NODEID $SLURMD_NODENAME $NEURON_RT_VISIBLE_CORES ${NEURON_LOGICAL_NC_CONFIG:-nolnc}' | sort -n)
expect_eq "$out" "$(printf '%s\n' '0 trn1-st-trn1-1 0-31 nolnc' '1 trn1-st-trn1-2 0-31 nolnc' \
  '2 trn1-st-trn1-3 0-31 nolnc' '3 trn1-st-trn1-4 0-31 nolnc' '4 trn2-st-trn2-1 0-63 2' '5 trn2-st-trn2-2 0-63 2')" \
  "mixed trn1/trn2 step: each node's own devices"
ids=$(srun -p all -N6 -n6 --ntasks-per-node=1 printenv NEURON_RT_ROOT_COMM_ID | sort -u)
[ "$(wc -l <<< "$ids")" = 1 ] || fail "nodes of a mixed step disagree on NEURON_RT_ROOT_COMM_ID: $ids"

# EFA present in the fake trees: the libfabric variables.
out=$(srun -p trn1 -N1 -n1 env | grep -E '^FI_' | sort)
expect_eq "$out" $'FI_EFA_FORK_SAFE=1\nFI_EFA_USE_DEVICE_RDMA=1\nFI_PROVIDER=efa' "EFA variables"

# trn2: one task gets all 64 logical cores at the default LNC=2; --neuron-lnc=1 gives 128.
out=$(srun -p trn2 -N2 -n2 bash -c 'echo $NEURON_RT_VISIBLE_CORES $NEURON_LOGICAL_NC_CONFIG' | sort -u)
expect_eq "$out" "0-63 2" "trn2 1 task/node, default LNC"
out=$(srun -p trn2 -N1 -n1 --neuron-lnc=1 bash -c 'echo $NEURON_RT_VISIBLE_CORES $NEURON_LOGICAL_NC_CONFIG')
expect_eq "$out" "0-127 1" "trn2 --neuron-lnc=1"

# Issue 19 defect 2: the job's own NEURON_LOGICAL_NC_CONFIG is the LNC the tasks run with,
# so the cores are placed for it (old plugin: 0-31 and 32-63 at LNC 1, half the node idle);
# a value it cannot honour fails the step with one line.
out=$(NEURON_LOGICAL_NC_CONFIG=1 srun -p trn2 -N1 -n2 bash -c 'echo $SLURM_LOCALID $NEURON_RT_VISIBLE_CORES $NEURON_LOGICAL_NC_CONFIG' | sort)
expect_eq "$out" $'0 0-63 1\n1 64-127 1' "trn2 job's own LNC 1, 2 tasks"
set +e
err=$(NEURON_LOGICAL_NC_CONFIG=3 srun -p trn2 -N1 -n2 true 2>&1); rc=$?
set -e
[ "$rc" != 0 ] || fail "NEURON_LOGICAL_NC_CONFIG=3 ran"
expect_contains "$err" "neuron: error: NEURON_LOGICAL_NC_CONFIG = 3: must be 1 or 2" "job's LNC 3 refused"
# The launcher half: an LNC, or visible cores, that disagree with the plan are exit 2
# before any worker starts (the torchrun double never runs).
work=$(mktemp -d)
touch "$work/training_orchestrator.py"
trn2conf="--conf $TRN_TOP/conf/hf_llama3_8B_trn2_config.yaml model.model_config=$TRN_TOP/tests/fixtures/tiny_llama_config.json launch.script=$work/training_orchestrator.py"
for opts in "--neuron-lnc=1" "--neuron-cores=32"; do
  set +e
  (cd "$work" && PATH=$TRN_TOP/tests/doubles:$PATH TRN_DOUBLE_OUT=$work \
    srun -p trn2 -N1 -n1 $opts $TRN_TRAIN run $trn2conf) >"$work/out" 2>&1; rc=$?
  set -e
  expect_eq "$rc" 2 "srun $opts with an LNC-2 trn2 config: exit status"
  if [ "$opts" = --neuron-lnc=1 ]; then want="NEURON_LOGICAL_NC_CONFIG = 1 (this task's"; else want="NEURON_RT_VISIBLE_CORES = 0-31 (32 cores"; fi
  expect_contains "$(cat "$work/out")" "$want" "srun $opts: the contradiction is named"
  ! ls "$work"/torchrun.* >/dev/null 2>&1 || fail "srun $opts: a worker started: $(cat "$work"/torchrun.*)"
done
rm -rf "$work"

# --neuron-cores=N and =all; --neuron-cache; --neuron-env=off; --neuron-verbose.
out=$(srun -p trn1 -N1 -n2 --neuron-cores=4 bash -c 'echo $SLURM_LOCALID $NEURON_RT_VISIBLE_CORES' | sort)
expect_eq "$out" $'0 0-3\n1 4-7' "--neuron-cores=4"
out=$(srun -p trn1 -N1 -n2 --neuron-cores=all printenv NEURON_RT_VISIBLE_CORES | sort -u)
expect_eq "$out" "0-31" "--neuron-cores=all"
out=$(srun -p trn1 -N1 -n1 --neuron-cache=/fsx/neuron-cache printenv NEURON_COMPILE_CACHE_URL)
expect_eq "$out" "/fsx/neuron-cache" "--neuron-cache"
out=$(srun -p trn1 -N1 -n1 --neuron-env=off env | grep -E '^(FI_|NEURON_)' | sort)
expect_eq "$out" "NEURON_RT_VISIBLE_CORES=0-31" "--neuron-env=off keeps only the placement"
err=$(srun -p trn1 -N1 -n2 --neuron-verbose true 2>&1)
expect_contains "$err" "neuron: task 1 (local 1) on trn1-st-trn1-1: NEURON_RT_VISIBLE_CORES=16-31" "--neuron-verbose"

# Values the user set explicitly win.
out=$(NEURON_RT_VISIBLE_CORES=5 FI_PROVIDER=tcp srun -p trn1 -N1 -n1 bash -c 'echo $NEURON_RT_VISIBLE_CORES $FI_PROVIDER $FI_EFA_FORK_SAFE')
expect_eq "$out" "5 tcp 1" "user values win"

# Many CPU tasks on a trn node without --neuron-cores: no placement, no failure.
out=$(srun -p trn1 -N1 -n64 bash -c 'echo ${NEURON_RT_VISIBLE_CORES:-none}' | sort -u)
expect_eq "$out" "none" "64 tasks on 32 cores without --neuron-cores"

# sbatch --neuron-... reaches the job's steps; two concurrent steps get different ports.
log=$(mktemp)
sbatch -p trn1 -N1 -n4 --neuron-cores=all --wait -o "$log" --wrap '
  srun printenv NEURON_RT_VISIBLE_CORES | sort -u | sed "s/^/cores /"
  srun -n1 --overlap printenv NEURON_RT_ROOT_COMM_ID | sed "s/^/step /" &
  srun -n1 --overlap printenv NEURON_RT_ROOT_COMM_ID | sed "s/^/step /" &
  wait' >/dev/null || { cat "$log"; fail "sbatch job failed"; }
expect_eq "$(grep '^cores' "$log")" "cores 0-31" "sbatch --neuron-cores=all in the job's steps"
ports=$(grep '^step' "$log" | sed 's/.*://' | sort -u)
[ "$(wc -l <<< "$ports")" = 2 ] || { cat "$log"; fail "two concurrent steps share a root-comm port: $ports"; }
rm -f "$log"

# The batch step itself is skipped (no placement in the batch script's environment).
log=$(mktemp)
sbatch -p trn1 -N1 --wait -o "$log" --wrap 'echo batch ${NEURON_RT_VISIBLE_CORES:-unset}' >/dev/null
expect_eq "$(cat "$log")" "batch unset" "batch step skipped"
rm -f "$log"

# Options are advertised with the [neuron] prefix in srun and sbatch help.
expect_contains "$(srun --help 2>&1)" "--neuron-cores=N|all" "srun --help"
expect_contains "$(sbatch --help 2>&1)" "[neuron]" "sbatch --help"
expect_nodes_healthy
