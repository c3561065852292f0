#!/usr/bin/env bash
# Native engine data-parallel scaling: the same global batch on 1 rank and on
# RANKS ranks (default: all cores), measured in the same run; prints tokens/s of
# each and the speed-up ratio (ideal = RANKS). Uses mpirun on this host.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-build}; case $build in /*) ;; *) build=$top/$build ;; esac
native=$build/bin/trn-train-native
ranks=${RANKS:-$(nproc)}
steps=${STEPS:-30}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
export OPENBLAS_NUM_THREADS=1  # one core per rank, so the ratio measures data parallelism only
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_btl=self,tcp OMPI_MCA_btl_tcp_if_include=lo
run() {  # ranks -> tokens/s of the last logged step
  mpirun -n "$1" --oversubscribe --bind-to none "$native" --config "$top/tests/fixtures/tiny_native.yaml" \
    exp_manager.explicit_log_dir="$work/r$1" trainer.max_steps="$steps" trainer.log_every_n_steps="$steps" \
    data.micro_batch_size=$((16 / $1)) data.global_batch_size=16 model.num_layers=4 2>/dev/null |
    sed -n 's/.* | \([0-9]*\) tok\/s$/\1/p' | tail -1
}
one=$(run 1); many=$(run "$ranks")
echo "native engine, global batch 16 x 32 tokens, 4 layers: 1 rank $one tok/s, $ranks ranks $many tok/s"
awk -v a="$one" -v b="$many" -v n="$ranks" 'BEGIN { printf "speed-up %.2fx on %d ranks (ideal %d.00x, efficiency %.0f%%)\n", b/a, n, n, 100*b/a/n }'
