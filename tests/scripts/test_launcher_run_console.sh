# `trn-train run` on one node without a cluster, against the torchrun test double
# (tests/doubles), for what only the real command shows (issue 18):
#  * started with stdout and stderr closed (a daemon's child: `>&- 2>&-`), the node's
#    console log has each backend line once, not twice (item 14);
#  * a link planted in the log tree (logs/<job>/<restart>/<node>/log -> a victim) is not
#    followed: exit 2 naming it, the victim unchanged (item 15);
#  * a logs/ folder of another user is refused (item 15; needs root to make one);
#  * a SLURM_JOB_ID that would put the log folder elsewhere is refused, exit 2 (item 13).
source "$(dirname "$0")/lib.sh"
trn=$TRN_BUILD/bin/trn-train
[ -x "$trn" ] || fail "$trn not built"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# A standalone run whatever started the test: no launcher's variables.
for v in $(env | sed -n 's/^\(SLURM_[A-Z_]*\|OMPI_[A-Z_]*\|PMIX_[A-Z_]*\|AWS_BATCH_[A-Z_]*\|TORCHELASTIC_[A-Z_]*\|MASTER_ADDR\|RANK\|NODE_RANK\|TRN_TRAIN_[A-Z_]*\|NEURON_[A-Z_]*\)=.*/\1/p'); do
  unset "$v"
done
export PATH=$TRN_TOP/tests/doubles:$PATH TRN_DOUBLE_OUT=$work TRN_TRAIN_JOB_ID=4242
cd "$work"
touch training_orchestrator.py  # the nxdt script must exist before any worker starts (issue 19 defect 5)
run=("$trn" run --conf "$TRN_TOP/conf/hf_llama3_8B_config.yaml" --instance trn1.32xlarge
     "compiler_cache_url=$work/cache" launch.require_warm_cache=off launch.nodes=1 trainer.num_nodes=1)
log=logs/4242/0/0/log

# Item 14: every line of the backend once in the log.
timeout 60 "${run[@]}" >&- 2>&- || fail "run with stdout and stderr closed: exit $?"
[ -s "$log" ] || fail "no console log $log"
expect_contains "$(cat "$log")" "torchrun (double): node 0" "the backend's output in the log"
dups=$(grep -v '^trn-train: ' "$log" | sort | uniq -d)
[ -z "$dups" ] || fail "lines written to $log twice: $dups"

# Item 15: a planted link is refused; what it points to is left alone.
echo precious > victim
rm "$log" && ln -s "$work/victim" "$log"
rc=0; out=$(timeout 60 "${run[@]}" 2>&1) || rc=$?
[ "$rc" = 2 ] || fail "run through a planted link: exit $rc, expected 2: $out"
expect_contains "$out" "error: launch.log_dir = logs: logs/4242/0/0/log: a symbolic link" "the link named"
[ "$(cat victim)" = precious ] || fail "the victim was written through the link: $(cat victim)"
rm "$log"

if [ "$(id -u)" = 0 ]; then
  chown 4321 logs
  rc=0; out=$(timeout 60 "${run[@]}" 2>&1) || rc=$?
  [ "$rc" = 2 ] || fail "run in a logs/ of another user: exit $rc, expected 2: $out"
  expect_contains "$out" "refusing logs: owned by uid 4321" "the foreign tree named"
  chown 0 logs
fi

# Item 13: the job id names the log folder, so it must be a job id.
for job in ../escape ""; do
  rc=0; out=$(SLURM_JOB_ID=$job SLURM_NODEID=0 SLURM_STEP_NUM_NODES=1 timeout 60 "${run[@]}" 2>&1) || rc=$?
  [ "$rc" = 2 ] || fail "SLURM_JOB_ID='$job': exit $rc, expected 2: $out"
  expect_contains "$out" "error: SLURM_JOB_ID = $job: must be Slurm's numeric id" "SLURM_JOB_ID='$job' named"
done
[ ! -e "$work/escape" ] || fail "a folder was made outside logs/"
