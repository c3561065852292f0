#!/usr/bin/env bash
# The native engine's attention kernels alone, at each x86-64 level this CPU runs (the
# levels its compiled graphs can be built for, trainer/model/graph_isa.h), against the
# machine's OpenBLAS sgemm peak on the same threads: how far attention is from the
# matrix products that dominate a step (run by `make bench`; issue 23's bench shape by
# default). Built here with the graphs' flags (trainer/model/native_graphs.cc's
# graph_flags, -O3 -fopenmp -fno-trapping-math -march=LEVEL) and the host compiler.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-build}; case $build in /*) ;; *) build=$top/$build ;; esac
usage() {
  echo "usage: bench/attention_bench.sh [--seq N] [--heads N] [--kv-heads N] [--head-size N] [--micro-batch N]
       [--threads N] [--reps N]
  defaults: sequence 512, 8 heads, 4 KV heads, head size 64, micro-batch 4, 2 threads, best of 20"
}
seq=512 heads=8 kv_heads=4 head_size=64 micro=4 threads=2 reps=20
while [ $# -gt 0 ]; do
  case $1 in
    --help | -h) usage; exit 0 ;;
    --seq | --heads | --kv-heads | --head-size | --micro-batch | --threads | --reps)
      [ $# -ge 2 ] && [[ $2 =~ ^[1-9][0-9]*$ ]] ||
        { echo "attention_bench.sh: error: $1 = ${2:-(missing)}: give a whole number above 0" >&2; exit 2; }
      v=${1#--}; v=${v//-/_}; [ "$v" = micro_batch ] && v=micro
      printf -v "$v" '%s' "$2"; shift 2 ;;
    *) echo "attention_bench.sh: error: $1: unknown option (see --help)" >&2; exit 2 ;;
  esac
done
[ $((heads % kv_heads)) = 0 ] ||
  { echo "attention_bench.sh: error: --heads = $heads: not a multiple of --kv-heads = $kv_heads" >&2; exit 2; }
sgemm=$build/bench/sgemm_peak
[ -x "$sgemm" ] || { echo "attention_bench.sh: error: $sgemm missing: run make BUILD=$build first" >&2; exit 1; }
work=$(mktemp -d /tmp/trn-attention-bench.XXXXXX); trap 'rm -rf "$work"' EXIT

# build LEVEL: the benchmark built for LEVEL (-march; none when empty) at $work/bench-LEVEL.
build() {
  ${CXX:-g++} -O3 -std=c++17 -fopenmp -fno-trapping-math ${1:+-march="$1"} -I"$top" -DBENCH_T="$seq" \
    -DBENCH_NH="$heads" -DBENCH_NKV="$kv_heads" -DBENCH_HS="$head_size" "$top/bench/attention_bench.cc" \
    "$top/trainer/model/graph_isa.cc" -o "$work/bench-$1"
}
# The levels this CPU runs, as the engine decides them (none off x86-64: the compiler's default).
build ""
mapfile -t levels < <("$work/bench-" --levels)
[ "${#levels[@]}" -gt 0 ] || levels=("")
echo "shape: sequence $seq, $heads heads, $kv_heads KV heads, head size $head_size, micro-batch $micro, fp32;" \
  "$threads threads, best of $reps; CPU: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
line=$(OPENBLAS_NUM_THREADS=$threads "$sgemm" "$threads" 2048 5); echo "$line"
peak=${line##*, }; peak=${peak% GFLOP/s}
for level in "${levels[@]}"; do
  [ -z "$level" ] || build "$level"
  result=$(OMP_NUM_THREADS=$threads "$work/bench-$level" "$micro" "$threads" "$reps")
  echo "${level:-compiler default}: $result" | awk -v p="$peak" '{ printf "%s (forward %.0f%%, backward %.0f%% of sgemm)\n", $0,
    100 * $5 / p, 100 * $10 / p }'
done
