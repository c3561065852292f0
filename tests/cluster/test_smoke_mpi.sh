# Smoke: MPI_Allreduce over srun --mpi=pmix across 4 emulated nodes (8 ranks).
source "$(dirname "$0")/lib.sh"
out=$(srun --mpi=pmix -N4 -n8 "$TRN_BUILD/tests/mpi_allreduce" 2>&1) || fail "mpi_allreduce failed: $out"
expect_contains "$out" "allreduce ranks=8 nodes=4 sum=36 expected=36 OK" "allreduce result"
