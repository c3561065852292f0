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

# own_cpu_cluster DIR NODES: brings up a private cluster of NODES cpu nodes (no plugin) in
# a folder below DIR whose port range differs from the suite cluster's (localslurm picks
# ports from a cksum of the folder name: 122 ranges of 129 ports from 17000), and points
# the Slurm clients at it. The caller brings it down ("$TRN_TOP/tests/cluster/localslurm"
# down) in its EXIT trap.
own_cpu_cluster() {
  local dir=$1 nodes=$2 suite_port i
  suite_port=$(sed -n 's/^SlurmctldPort=//p' "${SLURM_CONF:-/dev/null}" 2>/dev/null || true)
  range() { echo $(( $(printf '%s' "$1" | cksum | cut -d' ' -f1) % 122 )); }
  for ((i = 0; i < 5000; i++)); do
    [ -z "$suite_port" ] || [ "$(range "$dir/slurm$i")" != $(((suite_port - 17000) / 129)) ] && break
  done
  export LOCALSLURM_DIR=$dir/slurm$i
  "$TRN_TOP/tests/cluster/localslurm" up --nodes "$nodes" --instance cpu --no-plugin > "$dir/up.log" 2>&1 ||
    fail "localslurm up: $(cat "$dir/up.log")"
  eval "$("$TRN_TOP/tests/cluster/localslurm" env)"
}
