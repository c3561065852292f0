# mpirun as the launcher (issue 9 B10). Inside a 2-node Slurm allocation, mpirun's
# ranks inherit the step variables of the srun that started its daemons; every
# rank's plan must still describe that rank: world 4, ranks 0-3 distinct, node ranks
# 0 0 1 1, one master, Slurm's job id. Then mpirun outside Slurm on one node.
source "$(dirname "$0")/lib.sh"
command -v mpirun >/dev/null || fail "mpirun is not installed (openmpi-bin)"
work=$(mktemp -d)
printf 'host_addresses:\n  trn1-st-trn1-1: 127.0.0.1\n  trn1-st-trn1-2: 127.0.0.1\n' > "$work/site.yaml"
export TRN_TRAIN_SITE_CONF=$work/site.yaml
conf=$TRN_TOP/conf/tiny_llama_native.yaml
# One line per plan: kind world rank node_rank master job hosts
summary() {
  python3 - "$@" <<'PY'
import json, sys
for f in sorted(sys.argv[1:]):
    d = json.load(open(f))
    print(d["launch_kind"], d["world_size"], d["rank"], d["node_rank"], d["master_addr"], d["job_id"], ",".join(d["hosts"]))
PY
}

plan_args="plan --json --conf $conf trainer.devices=2 data.global_batch_size=16"
job=$(sbatch --parsable --wait -p trn1 -N2 --ntasks-per-node=2 -o "$work/out" \
  --wrap "mpirun -np 4 --map-by ppr:2:node bash -c '$TRN_TRAIN $plan_args > $work/plan.\$OMPI_COMM_WORLD_RANK.json'") \
  || fail "mpirun job failed: $(cat "$work/out")"
got=$(summary "$work"/plan.*.json | tr '\n' ';')
hosts=trn1-st-trn1-1,trn1-st-trn1-2
expect_eq "$got" "openmpi 4 0 0 127.0.0.1 $job $hosts;openmpi 4 1 0 127.0.0.1 $job $hosts;openmpi 4 2 1 127.0.0.1 $job $hosts;openmpi 4 3 1 127.0.0.1 $job $hosts;" \
  "mpirun inside salloc: one plan per rank"

# Outside Slurm: one node, four ranks.
rm -f "$work"/plan.*.json
mpirun -np 4 --oversubscribe bash -c "env -u SLURM_JOB_ID $TRN_TRAIN plan --json --conf $conf trainer.devices=4 data.global_batch_size=16 > $work/plan.\$OMPI_COMM_WORLD_RANK.json" \
  || fail "mpirun outside Slurm failed"
got=$(summary "$work"/plan.*.json | cut -d' ' -f1-5 | tr '\n' ';')
expect_eq "$got" "openmpi 4 0 0 127.0.0.1;openmpi 4 1 0 127.0.0.1;openmpi 4 2 0 127.0.0.1;openmpi 4 3 0 127.0.0.1;" \
  "mpirun outside Slurm"
rm -rf "$work"
