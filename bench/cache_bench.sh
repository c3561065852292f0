#!/usr/bin/env bash
# Cache benchmarks (run by `make bench`; BUILD is the build dir):
#  1. warm lookup of 1,000 entries, each checksum-verified (target < 50 ms);
#  2. distributed compile of 24 one-second graphs (test compiler double) on the
#     4-node local Slurm vs one node doing all 24, both with 2 compile slots per
#     node and 8 ranks per node, measured in this run (target: 24 invocations
#     and wall <= 0.35x). Brings the local cluster up if none is running.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${BUILD:-build}" && pwd)
driver=$build/tests/cache_driver
ls=$top/tests/cluster/localslurm
work=$(mktemp -d /tmp/trn-cache-bench.XXXXXX)
started_cluster=0
cleanup() {
  rm -rf "$work"
  if [ "$started_cluster" = 1 ]; then "$ls" down >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT

"$driver" populate --dir "$work/lookup" --count 1000 --quiet
"$driver" lookup-bench --dir "$work/lookup" --count 1000 --quiet | tee "$work/lookup.out"
ms=$(sed -n 's/.*(pass 1): \([0-9.]*\) ms.*/\1/p' "$work/lookup.out")
awk -v ms="$ms" 'BEGIN { printf "warm lookup target < 50 ms (pass 1, %s ms): %s\n", ms, (ms < 50 ? "met" : "MISSED") }'

export LOCALSLURM_DIR=${LOCALSLURM_DIR:-/tmp/trn-cache-bench-slurm}
if ! "$ls" status >/dev/null 2>&1; then
  "$ls" up --nodes 4 --no-plugin >/dev/null
  started_cluster=1
fi
eval "$("$ls" env)"
mkdir -p "$work/graphs"
for i in $(seq -w 1 24); do echo "bench graph $i" > "$work/graphs/g$i.hlo"; done
export CACHE_TEST_COMPILE_S=1
run() {  # NODES CACHE LOG -> wall seconds
  local t0 t1
  t0=$(date +%s.%N)
  CACHE_TEST_COMPILER_LOG=$3 srun -N"$1" --ntasks-per-node=8 "$driver" compile --dir "$2" --per-node 2 \
    --heartbeat 1 --stale 5 --quiet "$work"/graphs/*.hlo > "$work/run$1.out"
  t1=$(date +%s.%N)
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }'
}
one=$(run 1 "$work/c1" "$work/inv1")
four=$(run 4 "$work/c4" "$work/inv4")
n1=$(wc -l < "$work/inv1") n4=$(wc -l < "$work/inv4")
grep -h 'Total' "$work/run4.out"
echo "one node, 24 graphs, 2 slots:  ${one} s, ${n1} compiler invocations"
echo "4 nodes,  24 graphs, 2 slots each: ${four} s, ${n4} compiler invocations"
awk -v a="$four" -v b="$one" -v n="$n4" 'BEGIN {
  r = a / b
  printf "ratio 4-node / 1-node wall: %.2f (target <= 0.35: %s), invocations = 24: %s\n", r,
         (r <= 0.35 ? "met" : "MISSED"), (n == 24 ? "met" : "MISSED") }'
