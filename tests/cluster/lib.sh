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
# For a test that follows one batch job, $id, through requeues: its JobState and
# Restarts (empty once Slurm has forgotten it).
job_state() { scontrol show job "$id" 2>/dev/null | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p'; }
job_restarts() { scontrol show job "$id" 2>/dev/null | sed -n 's/.*Restarts=\([0-9]*\).*/\1/p'; }
# wait_for WHAT SECONDS COMMAND...: polls COMMAND until it succeeds; after SECONDS, fails
# naming WHAT, the job's state and the last 20 lines of $job_log (the job's output file).
wait_for() {
  local what=$1 t=$(($2 * 10)); shift 2
  until "$@"; do
    t=$((t - 1))
    [ "$t" -gt 0 ] || fail "timed out waiting for $what (job state $(job_state)): $(tail -20 "${job_log:-/dev/null}" 2>/dev/null)"
    sleep 0.1
  done
}

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
# own_cluster_work NAME NODES: for a test that follows one job ($id) on a cluster of its
# own: $work (/tmp/trn-NAME.XXXXXX, the current folder from here) holds NODES cpu nodes
# (own_cpu_cluster) and no cache setting of the caller's environment applies. At exit the
# job is cancelled and only that cluster is brought down (never the suite's, whatever
# failed before it was up), then $work removed.
own_cluster_work() {
  work=$(mktemp -d "/tmp/trn-$1.XXXXXX")
  id=""
  trap '[ -n "$id" ] && scancel "$id" 2>/dev/null
    [[ $LOCALSLURM_DIR != "$work"/* ]] || "$TRN_TOP/tests/cluster/localslurm" down >/dev/null 2>&1
    rm -rf "$work"' EXIT
  own_cpu_cluster "$work" "$2"
  unset TRN_TRAIN_CACHE_DIR NEURON_COMPILE_CACHE_URL NEURON_CC_FLAGS
  cd "$work"
}
