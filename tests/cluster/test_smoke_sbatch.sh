# Smoke: a 4-node batch job whose step runs one task per node, in node order.
source "$(dirname "$0")/lib.sh"
out=$(mktemp)
sbatch --wait -N4 -o "$out" --wrap 'srun bash -c "echo \$SLURM_NODEID \$SLURMD_NODENAME"' >/dev/null \
  || fail "sbatch --wait failed: $(cat "$out")"
got=$(sort -n "$out" | tr '\n' ' ')
expect_eq "$got" "0 trn1-st-trn1-1 1 trn1-st-trn1-2 2 trn1-st-trn1-3 3 trn1-st-trn1-4 " "srun hostname across 4 nodes"
# and the plain form the issue asks for
sbatch --wait -N4 -o "$out" --wrap "srun hostname" >/dev/null || fail "sbatch -N4 srun hostname failed"
expect_eq "$(wc -l < "$out")" 4 "lines of srun hostname"
rm -f "$out"
