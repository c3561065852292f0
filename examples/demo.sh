#!/usr/bin/env bash
# The README's demo, end to end on this machine:
#   1. a local 4-node Slurm (tests/cluster/localslurm) with spank_neuron.so loaded;
#   2. the ahead-of-time compile job:  COMPILE=1 sbatch --exclusive --nodes 4 --wrap "srun trn-train"
#   3. the training job:               COMPILE=0 sbatch --exclusive --nodes 4 --wrap "srun trn-train"
# with CONF_FILE=tiny_llama_native: the bundled native engine trains a tiny Llama
# for real, data parallel over MPI across the 4 nodes. Leaves nothing running.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
ls=$top/tests/cluster/localslurm
export LOCALSLURM_DIR=${LOCALSLURM_DIR:-${TMPDIR:-/tmp}/trn-train-demo-$(id -u)}
trap '"$ls" down >/dev/null 2>&1 || true' EXIT
"$ls" down >/dev/null 2>&1 || true
"$ls" up --nodes 4 --instance trn1.32xlarge
eval "$("$ls" env)"
export PATH=$top/build/bin:$PATH
export CONF_FILE=${CONF_FILE:-tiny_llama_native}
work=${DEMO_DIR:-$(mktemp -d)}
cd "$work"
# The shared compile cache is the site's, as an admin would set it in
# /etc/trn-train/site.yaml: every node's compile and train steps and `trn-train
# cache` resolve it from there (nothing exported by hand).
{ cat "$TRN_TRAIN_SITE_CONF"; echo "cache_root: $work/compile-cache"; } > "$work/site.yaml"
export TRN_TRAIN_SITE_CONF=$work/site.yaml
echo "== working in $work (logs/, checkpoints/, compile-cache/, slurm-*.out; site file site.yaml)"

echo "== the plan (trn-train plan --conf $CONF_FILE --nodes 4)"
trn-train plan --conf "$CONF_FILE" --nodes 4

for compile in 1 0; do
  echo
  echo "== COMPILE=$compile sbatch --wait --exclusive --nodes 4 --wrap \"srun trn-train\""
  out=$work/slurm-compile$compile.out
  if ! COMPILE=$compile sbatch --wait --exclusive --nodes 4 -o "$out" --wrap "srun trn-train" >/dev/null; then
    cat "$out"; echo "demo: the COMPILE=$compile job failed (output above)" >&2; exit 1
  fi
  cat "$out"
done
echo
trn-train cache status
echo "demo: done -- compiled, then trained on 4 Slurm nodes; checkpoint in $work/checkpoints, logs in $work/logs"
