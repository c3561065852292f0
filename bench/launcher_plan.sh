#!/usr/bin/env bash
# Launcher benchmark (make bench, env BUILD): (1) a full `trn-train plan --json` for a
# 4096-node Slurm step (hostlist expansion + config + validation + env, whole process)
# vs `scontrol show hostnames` on the same list; (2) `srun -N4 trn-train plan` vs
# `srun -N4 true` on the local cluster (brought up and torn down here).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-build}
bin=$top/$build/bin/trn-train
work=$(mktemp -d)
ls=$top/tests/cluster/localslurm
export LOCALSLURM_DIR=${LOCALSLURM_DIR:-/tmp/trn-bench-launcher-$(id -u)}
trap '"$ls" down >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
printf 'ClusterName=b\nSlurmctldHost=localhost\nNodeName=localhost CPUs=1\nPartitionName=p Nodes=localhost Default=YES\n' >"$work/slurm.conf"
printf 'host_addresses:\n  trn1-st-trn1-0001: 10.0.0.1\n' >"$work/site.yaml"
list='trn1-st-trn1-[0001-4096]'
python3 - "$bin" "$list" "$work" "$top" <<'PY'
import os, subprocess, sys, time
bin, hl, work, top = sys.argv[1:]
env = dict(os.environ, SLURM_JOB_ID="77", SLURM_STEP_ID="0", SLURM_NODEID="17", SLURM_PROCID="17",
           SLURM_STEP_NODELIST=hl, SLURM_STEP_NUM_NODES="4096", SLURM_STEP_TASKS_PER_NODE="1(x4096)",
           SLURM_STEP_NUM_TASKS="4096", TRN_TRAIN_SITE_CONF=work + "/site.yaml")
def best(cmd, env, n=20):
    ts = []
    for _ in range(n):
        t = time.perf_counter(); subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL, cwd=top); ts.append(time.perf_counter() - t)
    return min(ts) * 1000, sorted(ts)[len(ts) // 2] * 1000
p = best([bin, "plan", "--json", "--conf", "conf/hf_llama3_70B_config.yaml", "trainer.num_nodes=4096"], env)
s = best(["scontrol", "show", "hostnames", hl], dict(os.environ, SLURM_CONF=work + "/slurm.conf"))
print(f"plan --json, 4096-node step (whole process): best {p[0]:.2f} ms, median {p[1]:.2f} ms")
print(f"scontrol show hostnames, same list:          best {s[0]:.2f} ms, median {s[1]:.2f} ms")
print(f"ratio scontrol/plan (median): {s[1]/p[1]:.1f}x  (note: plan includes YAML load, validation and env, not only the hostlist)")
PY
# In-process hostlist expansion cost, from the unit-test binary's timing of the 4096 list.
if [ -x "$top/$build/tests/launcher_tests" ]; then
  (cd "$top" && "$top/$build/tests/launcher_tests" --gtest_filter='Hostlist.Large4096NodeList' | grep -E '^\[ +OK' || true)
fi
"$ls" down >/dev/null 2>&1 || true
"$ls" up --nodes 4 >/dev/null
eval "$("$ls" env)"
printf 'host_addresses:\n  trn1-st-trn1-1: 127.0.0.1\n' >"$work/site.yaml"
export TRN_TRAIN_SITE_CONF=$work/site.yaml
cd "$top"
timeit() { local s e; s=$(date +%s%N); "$@" >/dev/null; e=$(date +%s%N); echo $(((e - s) / 1000000)); }
t_true=() t_plan=()
for i in 1 2 3 4 5; do
  t_true+=("$(timeit srun -p trn1 -N4 true)")
  t_plan+=("$(timeit srun -p trn1 -N4 "$bin" plan --conf conf/tiny_llama_native.yaml)")
done
med() { printf '%s\n' "$@" | sort -n | sed -n 3p; }
a=$(med "${t_true[@]}"); b=$(med "${t_plan[@]}")
echo "srun -N4 true: median ${a} ms; srun -N4 trn-train plan: median ${b} ms; ratio $(python3 -c "print(f'{$b/$a:.3f}')") (target <= 1.10)"
