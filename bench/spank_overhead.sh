#!/usr/bin/env bash
# Benchmark: what spank_neuron.so adds to a step launch. Wall time of a 4-node,
# 32-tasks-per-node `srun true` on a local cluster with the plugin (fake trn1
# device trees, so discovery, placement and the environment all run) against an
# identical cluster without it, measured in the same run, alternating, median of
# REPS (default 7) after one warm-up each. Target: ratio <= 1.05.
#   BUILD=build bench/spank_overhead.sh
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "$top" && cd "${BUILD:-build}" && pwd)
ls=$top/tests/cluster/localslurm
reps=${REPS:-7}
with=$(mktemp -d) without=$(mktemp -d)
rmdir "$with" "$without"
trap 'LOCALSLURM_DIR=$with "$ls" down >/dev/null 2>&1; LOCALSLURM_DIR=$without "$ls" down >/dev/null 2>&1' EXIT

LOCALSLURM_DIR=$with "$ls" up --instance trn1.32xlarge:4 --plugin "$build/lib/spank_neuron.so" >/dev/null
LOCALSLURM_DIR=$without "$ls" up --instance trn1.32xlarge:4 --no-plugin >/dev/null

# one_run DIR -> seconds (3 decimals) of one `srun true`.
one_run() {
  local t0 t1
  t0=$(date +%s.%N)
  (cd /tmp && SLURM_CONF=$1/slurm.conf srun -N4 --ntasks-per-node=32 true)
  t1=$(date +%s.%N)
  awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f\n", b - a}'
}
median() { sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }

# The plugin really works on the measured cluster: 32 distinct placements per node.
n=$(cd /tmp && SLURM_CONF=$with/slurm.conf srun -N4 --ntasks-per-node=32 printenv NEURON_RT_VISIBLE_CORES | sort -u | wc -l)
[ "$n" = 32 ] || { echo "spank_overhead: plugin gave $n distinct placements, expected 32" >&2; exit 1; }

one_run "$with" >/dev/null; one_run "$without" >/dev/null   # warm-up
a=() b=()
for ((i = 0; i < reps; i++)); do
  a+=("$(one_run "$with")")
  b+=("$(one_run "$without")")
done
ma=$(printf '%s\n' "${a[@]}" | median) mb=$(printf '%s\n' "${b[@]}" | median)
echo "spank_overhead: srun -N4 --ntasks-per-node=32 (128 tasks), median of $reps"
echo "  with spank_neuron.so:    ${ma} s   (runs: ${a[*]})"
echo "  without plugin:          ${mb} s   (runs: ${b[*]})"
awk -v a="$ma" -v b="$mb" 'BEGIN {r = a / b; printf "  ratio with/without: %.3f (target <= 1.05) %s\n", r, (r <= 1.05 ? "OK" : "ABOVE TARGET")}'
