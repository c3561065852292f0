# Bad input to spank_neuron.so: each fails srun with one "neuron: error: KEY = VALUE:
# FIX" message naming the option, while slurmd and a running job's slurmstepd stay up and later
# jobs run normally.
source "$(dirname "$0")/lib.sh"
cd "${TMPDIR:-/tmp}"

# A job that must survive everything below.
keeper=$(sbatch -p trn1 -N1 --parsable --wrap 'srun sleep 300')
for _ in $(seq 100); do [ "$(squeue -h -j "$keeper" -o %T)" = RUNNING ] && break; sleep 0.1; done
# Only this cluster's daemons (other clusters may run on the same host).
our_slurmds() { cat "$LOCALSLURM_DIR"/run/slurmd-*.pid | sort | tr '\n' ' '; }
our_stepds() {
  local p
  for p in $(pgrep -x slurmstepd || true); do
    ls -l "/proc/$p/fd" 2>/dev/null | grep -q -- "$LOCALSLURM_DIR/" && echo "$p"
  done | sort | tr '\n' ' '
}
for _ in $(seq 100); do [ -n "$(our_stepds)" ] && break; sleep 0.1; done
stepds_before=$(our_stepds)
[ -n "$stepds_before" ] || fail "the running job has no slurmstepd"
slurmds_before=$(our_slurmds)

# expect_refused WHAT NEEDLE CMD...: non-zero exit, exactly one neuron: line naming NEEDLE.
expect_refused() {
  local what=$1 needle=$2 out rc
  shift 2
  out=$("$@" 2>&1) && fail "$what: succeeded: $out"
  local lines; lines=$(grep -c 'neuron: ' <<< "$out" || true)
  [ "$lines" = 1 ] || fail "$what: expected one 'neuron:' message, got $lines: $out"
  expect_contains "$(grep 'neuron: ' <<< "$out")" "$needle" "$what message"
}
expect_refused "--neuron-cores=abc" "neuron: error: --neuron-cores = abc: expected a number" srun -p trn1 -N1 --neuron-cores=abc true
expect_refused "--neuron-cores=64 on trn1" "neuron: error: --neuron-cores = 64: must divide the 32 logical NeuronCores of node trn1-st-trn1-" srun -p trn1 -N1 -n1 --neuron-cores=64 true
expect_refused "--neuron-cores=16 x 4 tasks on trn1" "neuron: error: --neuron-cores = 16: 4 tasks x 16 cores overcommit" srun -p trn1 -N1 -n4 --neuron-cores=16 true
expect_refused "--neuron-lnc=2 on trn1" "neuron: error: --neuron-lnc = 2: logical NeuronCore config applies only to trn2" srun -p trn1 -N1 -n1 --neuron-lnc=2 true
expect_refused "--neuron-lnc=3" "neuron: error: --neuron-lnc = 3: expected 1 or 2" srun -p trn2 -N1 --neuron-lnc=3 true
expect_refused "sbatch --neuron-env=maybe" "neuron: error: --neuron-env = maybe: expected on or off" sbatch -p trn1 -N1 --neuron-env=maybe --wrap true

# Daemons and the running job are untouched.
expect_eq "$(our_slurmds)" "$slurmds_before" "slurmd processes"
for p in $slurmds_before; do kill -0 "$p" 2>/dev/null || fail "slurmd $p died"; done
for p in $stepds_before; do kill -0 "$p" 2>/dev/null || fail "slurmstepd $p of the running job died"; done
expect_eq "$(squeue -h -j "$keeper" -o %T)" "RUNNING" "running job state"
scancel "$keeper"
expect_nodes_healthy
out=$(srun -p trn1 -N4 -n4 printenv NEURON_RT_VISIBLE_CORES | sort -u)
expect_eq "$out" "0-31" "a later job after the errors"
