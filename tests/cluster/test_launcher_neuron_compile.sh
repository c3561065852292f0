# Collect-then-compile (launcher/neuron/neuron_compile.h, issue 9 item 2) and the warm-cache
# check (launcher/neuron/warm_cache.h, item 3) on 4 nodes with the Neuron test doubles:
#  * COMPILE=1: every node runs `neuron_parallel_compile --command collect`, then `run`
#    compiles each collected graph EXACTLY ONCE cluster-wide (the neuronx-cc double's
#    calls), with the wrapper's command line, in a private work folder; every node prints
#    the summary after every graph is compiled;
#  * COMPILE=0 with launch.require_warm_cache=refuse runs on the warm cache and is refused
#    (exit 2, before any rank starts) on a cold one;
#  * a failed compile fails the job, naming the graphs' logs, retried per
#    NEURON_PARALLEL_COMPILE_MAX_RETRIES; with plain neuron_parallel_compile too when the
#    tool exits 0;
#  * two jobs on one cache (issue 20): each compiles, counts and judges only the graphs its
#    own collect extracted; another job's FAILED graphs and another user's EMPTY entry
#    neither fail it nor are compiled by it, and the COMPILE=0 check judges this config's graphs.
source "$(dirname "$0")/lib.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
unset TRN_TRAIN_CACHE_DIR NEURON_COMPILE_CACHE_URL NEURON_CC_FLAGS NEURON_PARALLEL_COMPILE_MAX_RETRIES
export PATH=$TRN_TOP/tests/doubles:$PATH TRN_DOUBLE_OUT=$work TORCHRUN_DOUBLE_GRAPHS=6 NEURONX_CC_DOUBLE_SECONDS=0.2
cd "$work"
touch "$work/training_orchestrator.py"  # the nxdt script must exist before any worker starts (issue 19 defect 5)
conf=$TRN_TOP/conf/hf_llama3_8B_config.yaml
run="srun $TRN_TRAIN run --conf $conf compiler_cache_url=$work/cache launch.compile_slots=2"
# failing_compile OUT CACHE [launch overrides...]: a COMPILE=1 job that must fail; its output in $work/OUT.
failing_compile() {
  local out=$1 cache=$2 rc
  shift 2
  set +e
  COMPILE=1 sbatch --wait -N4 -o "$work/$out" --wrap "srun $TRN_TRAIN run --conf $conf compiler_cache_url=$work/$cache $*" >/dev/null
  rc=$?
  set -e
  [ "$rc" != 0 ] || fail "a failed compile passed: $(cat "$work/$out")"
}

id=$(COMPILE=1 sbatch --parsable --wait -N4 -o "$work/out.1" --wrap "$run") || fail "COMPILE=1 failed: $(cat "$work/out.1")"
expect_eq "$(grep -c -- ' --command collect torchrun ' "$work/neuron_parallel_compile.calls")" 4 "every node only collects"
calls=$work/neuronx-cc.calls
expect_eq "$(awk '{print $3}' "$calls" | sort | uniq -d)" "" "no graph compiled twice"
expect_eq "$(wc -l < "$calls")" 6 "each of the 6 collected graphs compiled once cluster-wide"
expect_eq "$(ls -d "$work"/cache/neuronxcc-*/MODULE_*/model.done | wc -l)" 6 "6 graphs compiled into the cache"
first=$(head -1 "$calls")
expect_contains "$first" "argv: --target=trn1 --framework=XLA $work/cache/neuronxcc-" "wrapper's command"
expect_contains "$first" "/model.hlo_module.pb --output $work/cache/neuronxcc-" "output into the entry"
[[ $first == *" --verbose=35" ]] || fail "wrapper's --verbose=35 last: $first"
[[ $first != *--cache_dir* ]] || fail "wrapper options passed to the compiler: $first"
[ ! -e "$work/log-neuron-cc.txt" ] || fail "neuronx-cc ran in the job's folder, not a private work folder"
for n in 0 1 2 3; do
  log=$(cat "$work/logs/$id/0/$n/log")
  expect_contains "$log" "INFO ||NEURON_PARALLEL_COMPILE||: Total graphs: 6" "node $n summary"
  expect_contains "$log" "INFO ||NEURON_PARALLEL_COMPILE||: Total successful compilations: 6" "node $n: all compiled when it ends"
  expect_contains "$log" "INFO ||NEURON_PARALLEL_COMPILE||: Total failed compilations: 0" "node $n: no failure"
done

# COMPILE=0 on the warm cache: reported, and trained (refuse lets it through).
COMPILE=0 sbatch --wait -N4 -o "$work/out.0" --wrap "$run launch.require_warm_cache=refuse" >/dev/null \
  || fail "COMPILE=0 on a warm cache failed: $(cat "$work/out.0")"
expect_contains "$(cat "$work/out.0")" "cache/neuronxcc-2.15.128.0+56dc5a86: 6 SUCCESS, 0 FAILED, 0 missing of this config's graphs (the installed compiler)" "warm report"
# Job-wide lines (the warm report, warnings such as the open-file limit) once per job, from node 0.
expect_eq "$(grep -c '6 SUCCESS, 0 FAILED, 0 missing' "$work/out.0")" 1 "warm report printed once by 4 nodes"
expect_contains "$(cat "$work"/torchrun.3)" "COMPILE=0" "training started"
# A warning about nodes' own settings reaches the console once per job, with the nodes
# that have it as a host list (issue 17): nodes 1 and 2's hard open-file limit is
# lowered below the 65535 NxDT asks for.
out=$(COMPILE=0 srun -N4 bash -c "case \$SLURM_NODEID in 1|2) ulimit -n 1024 ;; esac; exec $TRN_TRAIN run --conf $conf \
  compiler_cache_url=$work/cache" 2>&1) || fail "COMPILE=0 with a low limit on nodes 1 and 2 failed: $out"
expect_eq "$(grep -c "warning: nodes trn1-st-trn1-\[2-3\]: open-file limit: the hard limit is 1024, below the 65535" \
  <<<"$out")" 1 "nodes 1 and 2's own limit on the console, once, as a host list"
expect_eq "$(grep -c "hard limit is 1024" <<<"$out")" 1 "no node prints it again"
expect_eq "$(grep -c '6 SUCCESS, 0 FAILED, 0 missing' <<<"$out")" 1 "job-wide lines still once"

# COMPILE=0 on a cold cache with refuse: exit 2 before any rank starts.
rm -f "$work"/torchrun.*
set +e
err=$(COMPILE=0 srun -N2 "$TRN_TRAIN" run --conf "$conf" compiler_cache_url="$work/cold" launch.require_warm_cache=refuse 2>&1); rc=$?
set -e
expect_eq "$rc" 2 "cold cache refused: exit status"
expect_contains "$err" "error: compile cache = $work/cold (the graphs of this config and shape are unknown: no COMPILE=1 job of it recorded them in $work/cold/.graphs/" "cold cache refused"
! ls "$work"/torchrun.* >/dev/null 2>&1 || fail "a rank started on a refused cold cache"
# ... and warned about (the default), then trained.
err=$(COMPILE=0 srun -N1 "$TRN_TRAIN" run --conf "$conf" compiler_cache_url="$work/cold" 2>&1) || fail "warn stopped the run: $err"
expect_contains "$err" "warning: compile cache $work/cold cannot be judged (the graphs of this config and shape are unknown" "cold cache warning"

# A failing compiler: the job fails, naming the logs; each graph tried 1 + MAX_RETRIES times, once cluster-wide.
rm -f "$calls"
NEURONX_CC_DOUBLE_FAIL=70 NEURON_PARALLEL_COMPILE_MAX_RETRIES=1 failing_compile out.failed cache-failed
out=$(cat "$work/out.failed")
expect_contains "$out" "6 of 6 graphs failed to compile (Total failed compilations: 6)" "failed-compile verdict"
expect_contains "$out" "/model.log" "verdict names the failed graphs' logs"
expect_eq "$(wc -l < "$calls")" 12 "each failed graph tried twice (NEURON_PARALLEL_COMPILE_MAX_RETRIES=1), on one node"
err=$(COMPILE=0 srun -N4 "$TRN_TRAIN" run --conf "$conf" compiler_cache_url="$work/cache-failed" 2>&1) || true
expect_contains "$err" "is not warm (6 FAILED and 0 missing of 6 graphs of this config)" "failed graphs reported before training"

# Plain neuron_parallel_compile (launch.neuron_compile=parallel_compile) exiting 0 after failures: fails too.
NEURONX_CC_DOUBLE_FAIL=70 NPC_DOUBLE_EXIT0_ON_FAILURE=1 failing_compile out.npc cache-npc launch.neuron_compile=parallel_compile
expect_contains "$(cat "$work/out.npc")" "the compile tool exited 0, the job fails anyway" "exit-0 verdict"
grep -q -- "--command" <(tail -4 "$work/neuron_parallel_compile.calls") && fail "parallel_compile used --command"

# Two jobs on one cache (issue 20). Another user's cancelled collect left an EMPTY entry (an
# HLO, never compiled); job A (2 nodes, a failing compiler) leaves its 3 graphs FAILED; job B
# (4 nodes: 3 other graphs) compiles and counts its own 3 only, and its COMPILE=0 starts
# under require_warm_cache=refuse.
shared=$work/shared
other=$shared/neuronxcc-2.15.128.0+56dc5a86/MODULE_0123456789abcdef0123+89abcdef
mkdir -p "$other" && echo "someone else's graph" > "$other/model.hlo_module.pb"
rm -f "$calls"
jobs_run="$TRN_TRAIN run --conf $conf compiler_cache_url=$shared"
TORCHRUN_DOUBLE_GRAPHS=3 NEURONX_CC_DOUBLE_FAIL=70 COMPILE=1 sbatch --wait -N2 -o "$work/out.A" --wrap "srun $jobs_run" \
  >/dev/null && fail "job A's failing compile passed: $(cat "$work/out.A")"
expect_contains "$(cat "$work/out.A")" "3 of 3 graphs failed to compile" "job A fails on its own 3 graphs"
expect_eq "$(ls -d "$shared"/neuronxcc-*/MODULE_*/model.log | wc -l)" 3 "job A left 3 FAILED graphs"
rm -f "$calls"
idB=$(TORCHRUN_DOUBLE_GRAPHS=3 COMPILE=1 sbatch --parsable --wait -N4 -o "$work/out.B" --wrap "srun $jobs_run") \
  || fail "job B failed beside job A's FAILED graphs: $(cat "$work/out.B")"
expect_eq "$(wc -l < "$calls")" 3 "job B compiled its own 3 graphs, not A's nor the EMPTY entry"
for n in 0 1 2 3; do
  log=$(cat "$work/logs/$idB/0/$n/log")
  expect_contains "$log" "INFO ||NEURON_PARALLEL_COMPILE||: Total graphs: 3" "job B node $n counts its graphs only"
  expect_contains "$log" "INFO ||NEURON_PARALLEL_COMPILE||: Total successful compilations: 3" "job B node $n: all compiled"
  expect_contains "$log" "INFO ||NEURON_PARALLEL_COMPILE||: Total failed compilations: 0" "job B node $n: no failure"
done
[ -f "$other/model.hlo_module.pb" ] && [ ! -e "$other/model.done" ] || fail "the other user's EMPTY entry was touched"
expect_eq "$(ls -d "$shared"/neuronxcc-*/MODULE_*/model.log | wc -l)" 3 "job A's FAILED graphs stay for cache status/clean"
rm -f "$work"/torchrun.*
out=$(COMPILE=0 srun -N4 $jobs_run launch.require_warm_cache=refuse 2>&1) || fail "job B's COMPILE=0 refused: $out"
expect_contains "$out" "3 SUCCESS, 0 FAILED, 0 missing of this config's graphs" "job B's graphs judged"
expect_contains "$(cat "$work"/torchrun.3)" "COMPILE=0" "job B trained"
# Job A's own COMPILE=0 is still refused, on its own graphs; a shape no COMPILE=1 job ran is unknown.
set +e
err=$(COMPILE=0 srun -N2 $jobs_run launch.require_warm_cache=refuse 2>&1); rc=$?
set -e
expect_eq "$rc" 2 "job A's COMPILE=0 refused"
expect_contains "$err" "(3 FAILED and 0 missing of 3 graphs of this config)" "job A's graphs judged"
set +e
err=$(COMPILE=0 srun -N1 $jobs_run launch.require_warm_cache=refuse 2>&1); rc=$?
set -e
expect_eq "$rc" 2 "unknown shape refused"
expect_contains "$err" "the graphs of this config and shape are unknown" "unknown shape said so"
exit 0
