#!/usr/bin/env bash
# The README's demo: a local 4-node Slurm with spank_neuron.so loaded, then the
# tiny native config compiled (COMPILE=1) and trained (COMPILE=0) as real Slurm jobs.
# Leaves nothing running: the cluster is torn down on exit, also on failure.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
ls=$top/tests/cluster/localslurm
export LOCALSLURM_DIR=${LOCALSLURM_DIR:-${TMPDIR:-/tmp}/trn-train-demo-$(id -u)}
trap '"$ls" down >/dev/null 2>&1 || true' EXIT
"$ls" down >/dev/null 2>&1 || true
"$ls" up --nodes 4 --instance trn1.32xlarge
eval "$("$ls" env)"
export PATH=$top/build/bin:$PATH
work=$(mktemp -d)
cd "$work"
echo "== demo job: sbatch --wait --exclusive --nodes 4 --wrap 'srun trn-train plan'"
sbatch --wait --exclusive --nodes 4 -o "$work/slurm-%j.out" --wrap "srun trn-train plan"
cat "$work"/slurm-*.out
