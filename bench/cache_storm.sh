#!/usr/bin/env bash
# Cache storm benchmark (run by `make bench`, or alone: BUILD=build bench/cache_storm.sh;
# needs root and Slurm, like the cluster tests). Its correctness twin, cheaper and in the
# suite, is tests/cluster/test_cache_storm.sh. Figures, all measured in this run:
#  1. localslurm on this host: time to `up` and the slurmd's memory for 32, 64 and 128
#     nodes (--instance cpu: no device trees; trn nodes add the trees' writing);
#  2. the storm: 1,024 processes (32 nodes x 32 tasks of tests/doubles/cache_driver get)
#     look up the same 20 graphs on one cache while a 64-graph compile job (the driver's
#     compile, 2 ranks and 2 slots per node, the test compiler double at 0.5 s a graph)
#     runs across the same nodes; first cold (the 20 compiled by whoever comes first), then
#     warm (the 20 cached, a new 64-graph job compiling): compiler invocations against
#     distinct graphs, stale takeovers, and p50/p99 of the warm hits' latency (the time
#     get_or_compile took for each of the 20,480 hits, while 1,024 processes start and
#     the compile job writes);
#  3. syscalls per hit (strace -c -f on one lookup process of the warm cache, 20 graphs
#     against 1: the difference per extra hit, the driver's read of the graph and of the
#     artifact included), and the cache's own, lookup-bench's 1 vs 101 entries;
#  4. the 64-graph compile alone (1 s a graph) on 32 nodes vs 1 node, 2 slots per node.
# The 32 emulated nodes share this host's CPUs: the storm's times say what the cache costs
# when 1,024 processes and their slurmstepds compete for them, not what 32 hosts would see.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${BUILD:-build}" && pwd)
driver=$build/tests/cache_driver
ls=$top/tests/cluster/localslurm
work=$(mktemp -d /tmp/trn-cache-storm.XXXXXX)
export LOCALSLURM_DIR=$work/slurm
trap '"$ls" down >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
command -v strace >/dev/null || { echo "cache_storm: strace not found: run scripts/install-deps" >&2; exit 1; }

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }

# --- 1. the local cluster's cost ---------------------------------------------------------
for n in 128 64 32; do
  t0=$(now)
  "$ls" up --nodes "$n" --instance cpu --no-plugin >/dev/null
  up=$(since "$t0")
  kib=0
  for f in "$LOCALSLURM_DIR"/run/slurmd-*.pid; do kib=$((kib + $(awk '/^VmRSS/ { print $2 }' "/proc/$(cat "$f")/status"))); done
  echo "localslurm up --nodes $n: ${up} s, slurmd RSS $((kib / 1024)) MiB ($((kib / n)) KiB each)"
  [ "$n" = 32 ] || "$ls" down >/dev/null
done
eval "$("$ls" env)"

# --- 2. the storm, cold and warm -------------------------------------------------------------
mkdir -p "$work/graphs"
for i in $(seq -w 1 20); do printf 'looked-up graph %s\n' "$i" > "$work/graphs/lookup$i.hlo"; done
for job in cold warm; do
  mkdir -p "$work/$job"
  for i in $(seq -w 1 64); do printf '%s job graph %s\n' "$job" "$i" > "$work/$job/g$i.hlo"; done
done
export DRIVER=$driver CACHE=$work/cache GRAPHS=$work/graphs CACHE_TEST_COMPILE_S=0.5
storm() {  # cold|warm: 1,024 lookups + the 64-graph job in one allocation
  local t0
  export OUT=$work/$1 CACHE_TEST_COMPILER_LOG=$work/$1/invocations
  t0=$(now)
  salloc -N32 --ntasks-per-node=32 -t 10 bash -c '
    t0=$(date +%s.%N)
    srun --overlap -N32 --ntasks-per-node=32 "$DRIVER" get --dir "$CACHE" --quiet --latencies "$GRAPHS"/lookup*.hlo \
      > "$OUT/get.out" 2>&1 &
    srun --overlap -N32 -n64 --ntasks-per-node=2 "$DRIVER" compile --dir "$CACHE" --per-node 2 --quiet "$OUT"/g*.hlo \
      > "$OUT/compile.out" 2>&1
    awk -v a="$t0" -v b="$(date +%s.%N)" "BEGIN { printf \"%.2f\", b - a }" > "$OUT/compile.wall"
    wait' >/dev/null 2>&1
  local ok takeovers
  ok=$(grep -c 'got 20/20 artifacts.*wrong 0' "$OUT/get.out" || true)
  takeovers=$(sed -n 's/.*stale takeovers \([0-9]*\)$/\1/p' "$OUT/get.out" "$OUT/compile.out" | paste -sd+ | bc)
  echo "storm ($1): $(since "$t0") s (the 64-graph job: $(cat "$OUT/compile.wall") s); $ok of 1024 processes got all 20" \
       "verified; compiler invocations $(wc -l < "$CACHE_TEST_COMPILER_LOG") for $(cut -d' ' -f3 "$CACHE_TEST_COMPILER_LOG" |
       sort -u | wc -l) distinct graphs; stale takeovers $takeovers"
}
storm cold
storm warm
sed -n 's/^hit latencies us://p' "$work/warm/get.out" | tr ' ' '\n' | sed '/^$/d' | sort -n | awk '
  { v[NR] = $1 } END {
    p50 = v[int(NR * 0.50 + 0.5)]; p99 = v[int(NR * 0.99 + 0.5)]
    printf "warm hit latency under the storm: p50 %.3f ms, p99 %.3f ms, max %.3f ms (%d hits)\n",
           p50 / 1000, p99 / 1000, v[NR] / 1000, NR }'

# --- 3. syscalls per hit -----------------------------------------------------------------------
calls() {  # COMMAND... -> the syscalls it made, its children included
  strace -c -f -o "$work/strace.out" "$@" >/dev/null
  awk '$NF == "total" { print $4 }' "$work/strace.out"
}
g20=$(calls "$driver" get --dir "$work/cache" --quiet "$work"/graphs/lookup*.hlo)
g1=$(calls "$driver" get --dir "$work/cache" --quiet "$work/graphs/lookup01.hlo")
"$driver" populate --dir "$work/lb" --count 101 --bytes 4096 --quiet
b101=$(calls "$driver" lookup-bench --dir "$work/lb" --count 101 --quiet)
b1=$(calls "$driver" lookup-bench --dir "$work/lb" --count 1 --quiet)
awk -v g20="$g20" -v g1="$g1" -v b101="$b101" -v b1="$b1" 'BEGIN {
  printf "syscalls per hit: %.1f in a lookup process (20 hits: %d syscalls, 1 hit: %d; the graph and artifact reads included); " \
         "%.1f in the cache lookup alone (lookup-bench, 2 passes of 101 vs 1 entries)\n",
         (g20 - g1) / 19, g20, g1, (b101 - b1) / 200 }'

# --- 4. the 64-graph compile alone: 32 nodes vs 1 ----------------------------------------------
export CACHE_TEST_COMPILE_S=1
alone() {  # NODES -> wall seconds; checks 64 invocations
  local t0 wall
  t0=$(now)
  CACHE_TEST_COMPILER_LOG=$work/alone$1.inv srun -N"$1" --ntasks-per-node=2 "$driver" compile --dir "$work/alone$1" \
    --per-node 2 --quiet "$work"/cold/g*.hlo >/dev/null
  wall=$(since "$t0")
  echo "$wall $(wc -l < "$work/alone$1.inv")"
}
read -r w1 n1 <<< "$(alone 1)"
read -r w32 n32 <<< "$(alone 32)"
awk -v w1="$w1" -v w32="$w32" -v n1="$n1" -v n32="$n32" 'BEGIN {
  printf "64-graph compile (1 s a graph, 2 slots per node): 1 node %.2f s (%d invocations), 32 nodes %.2f s (%d invocations): " \
         "%.1fx faster (32 rounds of 2 compiles against 1)\n", w1, n1, w32, n32, w1 / w32 }'
