# Requeue as Slurm does it (issue 9). A node of a 4-node training job dies (localslurm
# kill-node: its slurmd, steps and tasks SIGKILLed) and Slurm marks it DOWN, which
# requeues the --requeue job; the node boots again (start-node) and the second run gets SLURM_RESTART_COUNT=1, a new console-log folder logs/<job>/1/<node>/
# with a non-empty log on every node, and the same experiment (checkpoint) location as
# the first run. Then (issue 21 (d)): the nxdt job warned of its time limit requeues
# itself and resumes in the same experiment folder. `run` refuses a restart count above
# launch.max_restarts; submit's train job is requeueable and warned before its time limit.
source "$(dirname "$0")/lib.sh"
work=$(mktemp -d)
id="" node_down=""
# A failed test must not leave a node down for the tests after it.
trap '[ -n "$id" ] && scancel "$id" 2>/dev/null; [ -z "$node_down" ] || "$TRN_TOP/tests/cluster/localslurm" start-node "$node_down"
  rm -rf "$work"' EXIT
unset TRN_TRAIN_CACHE_DIR NEURON_COMPILE_CACHE_URL NEURON_CC_FLAGS
export PATH=$TRN_TOP/tests/doubles:$PATH TRN_DOUBLE_OUT=$work TRN_DOUBLE_HOLD_RESTART=0
cd "$work"
job_log=$work/out
touch "$work/training_orchestrator.py"  # the nxdt script must exist before any worker starts (issue 19 defect 5)
conf=$TRN_TOP/conf/hf_llama3_8B_config.yaml
holding() { [ "$(grep -l 'holding for a signal' "$work"/logs/"$id"/0/*/log 2>/dev/null | wc -l)" = 4 ]; }
finished() { case $(job_state) in COMPLETED|FAILED|CANCELLED|TIMEOUT|NODE_FAIL) return 0 ;; esac; return 1; }

# logs_of RESTART: every node's console log of that run exists and is non-empty
logs_of() { local n; for n in 0 1 2 3; do [ -s "$work/logs/$id/$1/$n/log" ] || return 1; done; }

# 1. A node dies while the job runs. Slurm notices a silent node after SlurmdTimeout
# (60 s here) and sets it DOWN; the test sets it DOWN at once, as slurmctld would then.
id=$(COMPILE=0 sbatch --parsable --requeue --open-mode=append -N4 -o "$work/out" \
  --wrap "srun --mpi=none --kill-on-bad-exit=1 $TRN_TRAIN run --conf $conf compiler_cache_url=$work/cache")
wait_for "restart 0 to start training on 4 nodes" 60 holding
mkdir "$work/run0" && cp "$work"/torchrun.* "$work/run0/"
logs_of 0 || fail "restart 0: a node's console log is missing or empty: $(ls -l "$work"/logs/"$id"/0/*/log)"
node=$(scontrol show hostnames "$(squeue -h -j "$id" -o %N)" | tail -1)
node_down=$node
"$TRN_TOP/tests/cluster/localslurm" kill-node "$node"
scontrol update NodeName="$node" State=DOWN Reason="test: node killed"
requeued() { [ "$(job_restarts)" = 1 ]; }
wait_for "Slurm to requeue the job" 30 requeued
# The node comes back (a replacement boots); ReturnToService=2 puts it in service.
"$TRN_TOP/tests/cluster/localslurm" start-node "$node" && node_down=""
# Slurm starts it again after its requeue delay (cred_expire + 1 s; localslurm sets
# 20 s). Any end other than COMPLETED fails at once, naming the state.
completed() {
  local st; st=$(job_state)
  case $st in
    COMPLETED) return 0 ;;
    FAILED|CANCELLED|TIMEOUT|NODE_FAIL|BOOT_FAIL|OUT_OF_MEMORY) fail "restart 1 ended $st: $(cat "$work/out")" ;;
  esac
  return 1
}
wait_for "restart 1 to run and complete" 90 completed
logs_of 1 || fail "restart 1: a node's console log is missing or empty: $(ls -l "$work"/logs/"$id"/1/*/log 2>&1)"
for n in 0 1 2 3; do
  expect_eq "$(sed -n 's/^restart: //p' "$work/run0/torchrun.$n")" 0 "node $n first run's SLURM_RESTART_COUNT"
  expect_eq "$(sed -n 's/^restart: //p' "$work/torchrun.$n")" 1 "node $n requeued run's SLURM_RESTART_COUNT"
  expect_contains "$(cat "$work/torchrun.$n")" "TRN_TRAIN_LOG_DIR=logs/$id/1/$n/" "node $n requeued run's console-log folder"
done
first=$(grep -h '^experiment: ' "$work"/run0/torchrun.* | sort -u)
both=$(grep -h '^experiment: ' "$work"/run0/torchrun.* "$work"/torchrun.* | sort -u)
expect_eq "$(wc -l <<< "$first")" 1 "one experiment location on every node of the first run"
expect_eq "$both" "$first" "the requeued run resumes from the first run's experiment location"
expect_eq "$first" "experiment: $work/nemo_experiments/$id" "experiment location is nemo_experiments/<job id>"
rm -f "$work"/torchrun.*

# 2. Issue 21 (d): the nxdt path at the time limit. `--signal=USR1@grace` sends SIGUSR1 to
# every process of the step (scancel --signal=USR1 here: the same delivery, without
# waiting for a limit): NxDT has no use for it, so `run` keeps it from the backend and
# node 0 requeues the job at once; the requeued run (SLURM_RESTART_COUNT=1) starts with
# the same experiment folder (NxDT's resume_if_exists resumes its last periodic
# checkpoint; the steps since are redone) and completes.
# --mpi=none: the doubles need no PMIx, and a requeued run restarting at once reuses
# the step id 0 whose PMIx socket the first run's slurmstepd may not have removed yet.
id=$(COMPILE=0 sbatch --parsable --requeue --open-mode=append -N4 -o "$work/out" \
  --wrap "srun --mpi=none --kill-on-bad-exit=1 $TRN_TRAIN run --conf $conf compiler_cache_url=$work/cache")
wait_for "4 nodes to start training" 60 holding
rm -rf "$work/run0" && mkdir "$work/run0" && cp "$work"/torchrun.* "$work/run0/"
first=$(grep -h '^experiment: ' "$work"/run0/torchrun.* | sort -u)
expect_eq "$(wc -l <<< "$first")" 1 "one experiment location in the first run"
scancel --signal=USR1 "$id"
wait_for "the job to requeue itself" 60 requeued
wait_for "restart 1 to run and complete" 90 completed
decision=$(cat "$work/logs/$id/0/heal/decision.json")
expect_contains "$decision" '"reason":"time-limit"' "run 0's decision"
expect_contains "$decision" '"requeued":true' "run 0's decision"
expect_contains "$(cat "$work/out")" "trn-train: job $id, run 0: time limit near; requeued (restart 1)" "the requeue line"
expect_contains "$(cat "$work/out")" "trn-train: restart 1 of job $id: job $id, run 0: time limit near" "the restart line"
for n in 0 1 2 3; do
  expect_eq "$(sed -n 's/^restart: //p' "$work/torchrun.$n")" 1 "node $n requeued run's SLURM_RESTART_COUNT"
done
expect_eq "$(grep -h '^experiment: ' "$work"/torchrun.* | sort -u)" "$first" "the requeued run's experiment folder"

# Past launch.max_restarts `run` refuses to start (exit 2), naming the limit.
set +e
err=$(SLURM_RESTART_COUNT=3 srun -N1 --export=ALL,SLURM_RESTART_COUNT=3 "$TRN_TRAIN" run --conf "$conf" launch.max_restarts=2 2>&1); rc=$?
set -e
expect_eq "$rc" 2 "restart count above launch.max_restarts: exit status"
expect_contains "$err" "SLURM_RESTART_COUNT = 3: this job was requeued more than launch.max_restarts = 2 times" "max restarts message"

# submit: the train job is requeueable and warned by SIGUSR1 to its steps (not B:, the
# batch shell) launch.signal_grace seconds before its time limit, for every backend;
# HyperPod's --auto-resume=1 goes to every srun inside the jobs, the preflight step's too.
dry=$(env -u SLURM_JOB_ID "$TRN_TRAIN" submit --conf "$conf" --dry-run "launch.sbatch_flags=['--auto-resume=1']")
train=$(tail -1 <<< "$dry")
expect_contains "$train" "--requeue" "train job requeue"
expect_contains "$train" "--signal=USR1@300" "nxdt train job warned before its time limit"
native_train=$(env -u SLURM_JOB_ID "$TRN_TRAIN" submit --conf "$TRN_TOP/conf/tiny_llama_native.yaml" --dry-run | tail -1)
expect_contains "$native_train" "--signal=USR1@300" "native train job warned before its time limit"
expect_contains "$train" "srun --auto-resume=1 --kill-on-bad-exit=1 " "auto-resume on the train job's srun"
expect_contains "$train" "srun --auto-resume=1 --ntasks-per-node=1 $TRN_TRAIN preflight" "auto-resume on the preflight step"
expect_contains "$(head -1 <<< "$dry")" "srun --auto-resume=1 " "auto-resume on the compile job's srun"
[[ ${train%%--wrap*} != *auto-resume* ]] || fail "--auto-resume given to sbatch: $train"
[[ $(env -u SLURM_JOB_ID "$TRN_TRAIN" submit --conf "$TRN_TOP/conf/tiny_llama_native.yaml" --dry-run launch.signal_grace=0) != *--signal=* ]] \
  || fail "launch.signal_grace=0 still adds --signal"
