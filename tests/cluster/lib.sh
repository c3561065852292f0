# Shared helpers for cluster tests (sourced). The runner (tests/run) has already
# exported SLURM_CONF, LOCALSLURM_DIR, TRN_BUILD and TRN_TOP.
set -euo pipefail

fail() { echo "FAIL: $*" >&2; exit 1; }
# expect_eq ACTUAL EXPECTED WHAT
expect_eq() { [ "$1" == "$2" ] || fail "$3: expected '$2', got '$1'"; }
# expect_contains HAYSTACK NEEDLE WHAT
expect_contains() { [[ $1 == *"$2"* ]] || fail "$3: expected to contain '$2', got: $1"; }
# All nodes of the cluster are idle again (daemons survived whatever the test did).
expect_nodes_healthy() {
  local bad
  bad=$(sinfo -h -N -p all -o '%N %T' | grep -Ev ' (idle|mixed|allocated|completing)$' || true)
  [ -z "$bad" ] || fail "nodes not healthy: $bad"
}
TRN_TRAIN=$TRN_BUILD/bin/trn-train
