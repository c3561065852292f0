# examples/: one sbatch script per shipped model config (conf/*.yaml but the instance
# catalog and the hardware-error patterns), each valid bash that names its config, compiles before it trains (not
# torchneuron: it compiles on first use), asks for requeue, and for an early TERM only
# with the native trainer; each config's node count and instance type match.
# Besides those, examples/acceptance.sbatch (run by tests/cluster/test_examples_local.sh).
# (tests/cluster/test_installed_package.sh runs the installed native one on the local cluster.)
source "$(dirname "$0")/lib.sh"
cd "$TRN_TOP"
for conf in conf/*.yaml; do
  name=$(basename "$conf" .yaml)
  case $name in instances|hardware_errors) continue ;; esac  # data, not model configs
  ex=examples/$name.sbatch
  [ -f "$ex" ] || fail "no example for $conf: expected $ex"
  bash -n "$ex" || fail "$ex: not valid bash"
  backend=$(grep -E '^\s+backend:' "$conf" | awk '{print $2}' || true)
  for want in "#SBATCH --requeue" "export CONF_FILE=$name" "#SBATCH --job-name=$name"; do
    grep -qxF -- "$want" "$ex" || grep -q -- "^$want" "$ex" || fail "$ex: no '$want' line"
  done
  # An early TERM only for the native trainer, which checkpoints on it (NxDT has no
  # preemption callback; TorchTitan checkpoints on its own interval).
  if [ "$backend" = native ]; then
    grep -q "^#SBATCH --signal=TERM@" "$ex" || fail "$ex: no '#SBATCH --signal=TERM@' line"
  else
    ! grep -q "^#SBATCH --signal=" "$ex" || fail "$ex: --signal for backend ${backend:-nxdt}, which does not checkpoint on it"
  fi
  c1=$(grep -n '^COMPILE=1 srun' "$ex" | cut -d: -f1) c0=$(grep -n '^COMPILE=0 srun' "$ex" | cut -d: -f1)
  if [ "$backend" = torchneuron ]; then  # compiles on first use; COMPILE=1 is refused
    [ -z "$c1" ] && [ -n "$c0" ] || fail "$ex: expected only a COMPILE=0 srun step (torchneuron)"
  else
    [ -n "$c1" ] && [ -n "$c0" ] && [ "$c1" -lt "$c0" ] || fail "$ex: expected a COMPILE=1 srun step before the COMPILE=0 one"
  fi
  nodes=$(sed -n 's/^#SBATCH --nodes=//p' "$ex")
  want_nodes=$(grep -E '^\s+(nodes|num_nodes):' "$conf" | head -1 | awk '{print $2}')
  [ "$nodes" = "$want_nodes" ] || fail "$ex: --nodes=$nodes but $conf says $want_nodes"
  inst=$(grep -E '^\s+instance:' "$conf" | awk '{print $2}' || true)
  if [ -n "$inst" ] && [ "$inst" != cpu ]; then
    grep -q "^#SBATCH --constraint=$inst$" "$ex" || fail "$ex: $conf runs on $inst but the script does not ask for it"
  fi
done
for ex in examples/*.sbatch; do
  [ "$ex" = examples/acceptance.sbatch ] && continue  # the cluster acceptance job: tiny_llama_native on any N
  [ -f "conf/$(basename "$ex" .sbatch).yaml" ] || fail "$ex has no config conf/$(basename "$ex" .sbatch).yaml"
done
bash -n examples/acceptance.sbatch || fail "examples/acceptance.sbatch: not valid bash"
