# Storm: 1,024 processes on one shared cache. 32 nodes x 32 tasks of the cache's test driver
# (tests/doubles/cache_driver get, not the trainer) look up the same 20 graphs, none of them
# compiled yet, while a COMPILE=1-like job (the driver's compile: 2 ranks and 2 compile slots
# per node, the test compiler double) compiles 64 other graphs across the same 32 nodes.
# A healthy run, so with the cache's default lock timings (heartbeat 2 s, stale 30 s):
#  * every one of the 1,024 processes gets all 20 artifacts, each checked against what the
#    compiler double writes for its graph (the driver's "wrong 0");
#  * each of the 84 graphs is compiled exactly once (the double logs every invocation);
#  * no lock is taken over as stale (each process prints its count of takeovers);
#  * every node's compile ranks print the whole job's summary: 64 graphs, 64 succeeded;
#  * `cache verify` finds the 84 entries valid, `cache status` no failed or locked one.
# The suite's cluster has 6 nodes; this test brings up its own, beside it, in its own folder
# (localslurm --instance cpu --no-plugin: no device trees, the plugin is not what is tested)
# and takes it down again: 64 nodes, localslurm's scale (up in ~2-4 s here, ~6 MiB per slurmd),
# of which the storm takes 32. Figures: bench/cache_storm.sh.
# sanitized: skip: scale (1,024 processes, 218 s under ASan); the cache's code runs sanitized in cache_tests, test_cache_stress, test_cache_distributed and test_cache_two_users
source "$(dirname "$0")/lib.sh"
driver=$TRN_BUILD/tests/cache_driver
ls=$TRN_TOP/tests/cluster/localslurm
cluster_nodes=64 nodes=32 tasks=32 lookups=20 graphs=64

# 1,024 processes of an ASan build hold ~12 GiB between them (measured: ~11.6 MiB each),
# a plain build's ~2 GiB: a host without that much free memory cannot run the test.
need_mib=3000
ldd "$driver" 2>/dev/null | grep -q libasan && need_mib=14000
avail_mib=$(awk '/^MemAvailable:/ { print int($2 / 1024) }' /proc/meminfo)
if [ "$avail_mib" -lt "$need_mib" ]; then
  echo "SKIP: $((nodes * tasks)) driver processes need ~$need_mib MiB, $avail_mib MiB available"
  exit 77
fi

work=$(mktemp -d /tmp/trn-storm.XXXXXX)
# The storm's folder is one whose first port range is the one the suite's cluster holds
# (localslurm's port_base: cksum of the folder name modulo its 122 ranges of 129 ports from
# 17000), so its `up` must take another: two clusters whose folders pick the same ports coexist.
suite_port=$(sed -n 's/^SlurmctldPort=//p' "$SLURM_CONF")
range() { echo $(( $(printf '%s' "$1" | cksum | cut -d' ' -f1) % 122 )); }
for ((i = 0; i < 5000; i++)); do [ "$(range "$work/slurm$i")" = $(((suite_port - 17000) / 129)) ] && break; done
export LOCALSLURM_DIR=$work/slurm$i
trap '"$ls" down >/dev/null 2>&1; rm -rf "$work"' EXIT
start=$SECONDS
if msg=$("$ls" up --nodes 129 --no-plugin 2>&1); then fail "localslurm up --nodes 129 succeeded"; fi
expect_contains "$msg" "must be a number from 1 to 128" "localslurm's node limit"
"$ls" up --nodes "$cluster_nodes" --instance cpu --no-plugin > "$work/up.log" 2>&1 || fail "localslurm up: $(cat "$work/up.log")"
storm_port=$(sed -n 's/.*slurmctld port \([0-9]*\).*/\1/p' "$work/up.log")
[ -n "$storm_port" ] && [ "$storm_port" != "$suite_port" ] || fail "the storm cluster took port ${storm_port:-?}, the suite's is $suite_port"
eval "$("$ls" env)"
echo "$cluster_nodes-node cluster up in $((SECONDS - start)) s"

mkdir -p "$work/graphs"
for i in $(seq -w 1 "$lookups"); do printf 'looked-up graph %s\n' "$i" > "$work/graphs/lookup$i.hlo"; done
for i in $(seq -w 1 "$graphs"); do printf 'compile-job graph %s\n' "$i" > "$work/graphs/job$i.hlo"; done
export CACHE_TEST_COMPILE_S=0.5 CACHE_TEST_COMPILER_LOG=$work/invocations
export DRIVER=$driver CACHE=$work/cache OUT=$work GRAPHS=$work/graphs NODES=$nodes TASKS=$tasks
# One allocation of every CPU of the 32 nodes; the two steps overlap in it, as a training
# job's ranks and another job's compile share a cluster's cache.
start=$SECONDS
salloc -N"$nodes" --ntasks-per-node="$tasks" -t 5 bash -c '
  srun --overlap -N"$NODES" --ntasks-per-node="$TASKS" "$DRIVER" get --dir "$CACHE" --quiet "$GRAPHS"/lookup*.hlo \
    > "$OUT/get.out" 2>&1 &
  srun --overlap -N"$NODES" -n$((2 * NODES)) --ntasks-per-node=2 "$DRIVER" compile --dir "$CACHE" --per-node 2 --quiet \
    "$GRAPHS"/job*.hlo > "$OUT/compile.out" 2>&1
  echo "compile step: exit $?" > "$OUT/compile.rc"
  wait' > "$work/salloc.out" 2>&1 || fail "the storm's allocation failed: $(cat "$work/salloc.out")"
echo "storm: $((SECONDS - start)) s"

expect_eq "$(cat "$work/compile.rc")" "compile step: exit 0" "compile job ($(grep -v succeeded "$work/compile.out" | head))"
processes=$((nodes * tasks))
expect_eq "$(grep -c "got $lookups/$lookups artifacts, compiled [0-9]*, failed 0, wrong 0, stale takeovers 0$" "$work/get.out")" \
  "$processes" "lookup processes with every artifact verified and no takeover ($(grep -v 'wrong 0, stale takeovers 0$' "$work/get.out" | head))"
expect_eq "$(sed -n 's/^rank \([0-9]*\) .*/\1/p' "$work/get.out" | sort -un | wc -l)" "$processes" "distinct lookup ranks"
expect_eq "$(wc -l < "$CACHE_TEST_COMPILER_LOG")" $((lookups + graphs)) "compiler invocations"
expect_eq "$(cut -d' ' -f3 "$CACHE_TEST_COMPILER_LOG" | sort -u | wc -l)" $((lookups + graphs)) "distinct graphs compiled"
expect_eq "$(grep -c "^compile rank [0-9]* node .*: $graphs graphs, $graphs succeeded, 0 failed, stale takeovers 0$" "$work/compile.out")" \
  $((2 * nodes)) "compile ranks with the whole job's summary"
expect_eq "$(sed -n "s/^compile rank [0-9]* node \(.*\): $graphs graphs, $graphs succeeded, .*/\1/p" "$work/compile.out" | sort -u | wc -l)" \
  "$nodes" "nodes that printed the job's summary"
expect_contains "$(cat "$work/compile.out")" "Total graphs: $graphs" "rank 0's summary"

verify=$("$driver" cache --dir "$work/cache" verify) || fail "cache verify: $verify"
expect_contains "$verify" "$((lookups + graphs)) ok, 0 bad" "cache verify"
status=$("$driver" cache --dir "$work/cache" status)
expect_eq "$(awk '$1=="total"{print $2, $3, $4}' <<< "$status")" "$((lookups + graphs)) 0 0" "SUCCESS FAILED LOCKED after the storm"
