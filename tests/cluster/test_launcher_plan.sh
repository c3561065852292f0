# Inside a real 4-node job every task's Plan agrees (master, ports, world) and node
# ranks follow SLURM_NODEID, for both launch patterns; bad input exits 2.
source "$(dirname "$0")/lib.sh"
work=$(mktemp -d)
# Node names are not in DNS on the local cluster: map them in a site file.
printf 'host_addresses:\n  trn1-st-trn1-1: 127.0.0.1\n' > "$work/site.yaml"
export TRN_TRAIN_SITE_CONF=$work/site.yaml
conf=$TRN_TOP/conf/tiny_llama_native.yaml
field() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(d['$1'])" "$2"; }
check_job() {  # $1 = pattern label, rest = srun options
  local label=$1; shift
  rm -f "$work"/plan.*.json
  sbatch --wait -N4 "$@" -o "$work/out" --wrap "srun $* bash -c '$TRN_TRAIN plan --json --conf $conf $EXTRA > $work/plan.\$SLURM_PROCID.json'" >/dev/null \
    || fail "$label: job failed: $(cat "$work/out")"
  local n=0 first=""
  for f in "$work"/plan.*.json; do
    n=$((n + 1))
    sig="$(field master_addr "$f") $(field master_port "$f") $(field root_comm_port "$f") $(field world_size "$f") $(field launch_pattern "$f")"
    [ -z "$first" ] && first=$sig
    expect_eq "$sig" "$first" "$label: plan of $(basename "$f") agrees"
  done
  echo "$label: $n plans agree: $first"
  ranks=$(for f in "$work"/plan.*.json; do echo "$(field node_rank "$f") $(python3 -c "import json,sys;print(json.load(open(sys.argv[1]))['hosts'][json.load(open(sys.argv[1]))['node_rank']])" "$f")"; done | sort -u | tr '\n' ' ')
  expect_eq "$ranks" "0 trn1-st-trn1-1 1 trn1-st-trn1-2 2 trn1-st-trn1-3 3 trn1-st-trn1-4 " "$label: node ranks in SLURM_NODEID order"
}
EXTRA="" check_job per-node
expect_eq "$(field world_size "$work/plan.0.json")" 4 "per-node world"
EXTRA="trainer.devices=2 data.global_batch_size=16" check_job per-worker --ntasks-per-node=2
expect_eq "$(field world_size "$work/plan.0.json")" 8 "per-worker world"
expect_eq "$(field launch_pattern "$work/plan.0.json")" per-worker "pattern"
# bad input: exit 2, one clear message, nothing started
set +e
"$TRN_TRAIN" plan --conf "$conf" launch.bogus=1 2>"$work/err"; rc=$?
set -e
expect_eq "$rc" 2 "unknown launch key exit status"
expect_contains "$(cat "$work/err")" "launch.bogus" "unknown key message"

# Instance type (issue 9 B7) of a published trn2 config stripped of what the config
# says (trainer.lnc, trainer.devices), planned on a trn2 node: no silent default.
trn2=$TRN_TOP/conf/hf_llama3_8B_trn2_config.yaml
# A plan made inside the allocation checks the files the job reads on that node (issue
# 17): the published config's /home/ubuntu/config.json and the orchestrator script are
# pointed at files that exist here.
touch "$work/training_orchestrator.py"
files="model.model_config=$TRN_TOP/tests/fixtures/tiny_llama_config.json launch.script=$work/training_orchestrator.py"
strip="~trainer.lnc ~trainer.devices $files"
hosts='host_addresses:\n  trn2-st-trn2-1: 127.0.0.1\n  trn2-st-trn2-2: 127.0.0.1\n'
printf "$hosts" > "$work/site.yaml"
in_trn2() { srun -p trn2 -N1 bash -c "$*"; }
set +e
in_trn2 "$TRN_TRAIN plan --conf $trn2 $strip" 2>"$work/err"; rc=$?
set -e
expect_eq "$rc" 2 "unresolved instance exit status"
expect_contains "$(cat "$work/err")" "partitions:" "unresolved instance lists the four ways"
# the node's own DMI product name (the local cluster's fake device tree)
in_trn2 "TRN_TRAIN_NODE_ROOT=$LOCALSLURM_DIR/nodes/\$SLURMD_NODENAME $TRN_TRAIN plan --json --conf $trn2 $strip" > "$work/node.json"
expect_eq "$(field instance "$work/node.json")" trn2.48xlarge "instance from the node"
expect_contains "$(field instance_rule "$work/node.json")" "product_name" "rule: the node"
# the site file's partition map
printf "${hosts}partitions:\n  trn2: trn2.48xlarge\n" > "$work/site.yaml"
in_trn2 "$TRN_TRAIN plan --json --conf $trn2 $strip" > "$work/site.json"
expect_eq "$(field instance_rule "$work/site.json")" "site file (partitions.trn2)" "rule: the site file"
# A data prefix missing on the node: exit 2 naming the key, the path and the node.
set +e
in_trn2 "$TRN_TRAIN plan --conf $trn2 $strip '+data.data_prefix=[$work/absent]'" 2>"$work/err"; rc=$?
set -e
expect_eq "$rc" 2 "missing data file: exit status"
expect_contains "$(cat "$work/err")" "data.data_prefix = $work/absent.bin (on trn2-st-trn2-1): No such file" \
  "missing data file: key, path and node"
rm -rf "$work"
