# Plugstack arguments, on private second clusters: admin defaults reach the tasks;
# an unknown key fails srun/sbatch with one message naming it, slurmd stays up.
source "$(dirname "$0")/lib.sh"
ls=$TRN_TOP/tests/cluster/localslurm
so=$TRN_BUILD/lib/spank_neuron.so
other=$(mktemp -d); rmdir "$other"
trap 'LOCALSLURM_DIR=$other "$ls" down >/dev/null 2>&1' EXIT
cd "${TMPDIR:-/tmp}"

LOCALSLURM_DIR=$other "$ls" up --instance trn2.48xlarge:1 --plugin "$so" \
  --plugin-args "cache_dir=/fsx/site-cache lnc=1 root_comm_port_range=47000-47000 efa=off" >/dev/null \
  || fail "cluster with valid plugstack args did not come up"
out=$( eval "$(LOCALSLURM_DIR=$other "$ls" env)"
       srun -N1 -n1 bash -c 'echo $NEURON_RT_VISIBLE_CORES $NEURON_LOGICAL_NC_CONFIG $NEURON_COMPILE_CACHE_URL ${NEURON_RT_ROOT_COMM_ID#*:} ${FI_PROVIDER:-nofi}' )
expect_eq "$out" "0-127 1 /fsx/site-cache 47000 nofi" "admin defaults from plugstack"
LOCALSLURM_DIR=$other "$ls" down >/dev/null

LOCALSLURM_DIR=$other "$ls" up --nodes 2 --instance trn1.32xlarge --plugin "$so" --plugin-args "colour=blue" >/dev/null \
  || fail "slurmd must start even with a bad plugstack key"
(
  eval "$(LOCALSLURM_DIR=$other "$ls" env)"
  if out=$(srun -N1 true 2>&1); then fail "srun succeeded with an unknown plugstack key"; fi
  [ "$(grep -c 'neuron: ' <<< "$out")" = 1 ] || fail "expected one neuron: message, got: $out"
  expect_contains "$out" "neuron: error: colour = blue: unknown key; the keys are root," "unknown key message"
  if sbatch -N1 --wrap true >/dev/null 2>&1; then fail "sbatch succeeded with an unknown plugstack key"; fi
  for f in "$other"/run/slurmd-*.pid; do kill -0 "$(cat "$f")" 2>/dev/null || fail "slurmd $f died"; done
  expect_nodes_healthy
) || exit 1
