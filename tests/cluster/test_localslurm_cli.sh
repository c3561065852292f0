# localslurm's own bad-input behaviour: a second `up` refuses and leaves the running
# cluster intact; `down` of a cluster that is not up is a no-op; a second, separate
# cluster in another folder comes up beside the first and goes away cleanly.
source "$(dirname "$0")/lib.sh"
ls=$TRN_TOP/tests/cluster/localslurm
if msg=$("$ls" up 2>&1); then fail "second 'up' succeeded"; fi
expect_contains "$msg" "already running" "second up message"
expect_nodes_healthy
srun -N4 true || fail "cluster broken after the refused second up"

other=$(mktemp -d)
rmdir "$other"
LOCALSLURM_DIR=$other "$ls" down | grep -q "nothing to stop" || fail "down with nothing up is not a no-op"
LOCALSLURM_DIR=$other "$ls" up --nodes 2 --instance cpu >/dev/null || fail "second cluster in $other failed"
( eval "$(LOCALSLURM_DIR=$other "$ls" env)"; srun -N2 true ) || { LOCALSLURM_DIR=$other "$ls" down; fail "job on second cluster failed"; }
LOCALSLURM_DIR=$other "$ls" down >/dev/null
[ ! -e "$other" ] || fail "down left $other behind"
srun -N4 true || fail "first cluster disturbed by the second"
