# Issue 22: `trn-train health` as Slurm's HealthCheckProgram drains a broken node within
# its interval, with a reason naming what broke, and resumes it once it is whole again;
# the healthy node is left alone, and a drain an admin set is never lifted.
# Its own 2-node trn1 cluster beside the suite's (localslurm --health-check is slurm.conf
# wide, and draining nodes of the shared cluster would starve the other tests), in its
# own folder, taken down again at the end. The nodes' devices are localslurm's fake trees
# (tests/fixtures/neuron_device_tree.sh): a node "loses" a Neuron device when its tree
# loses neuron7. Takes ~30 s here (interval 5 s).
source "$(dirname "$0")/lib.sh"
ls=$TRN_TOP/tests/cluster/localslurm
interval=5
work=$(mktemp -d /tmp/trn-health.XXXXXX)
export LOCALSLURM_DIR=$work/slurm
trap '"$ls" down >/dev/null 2>&1; rm -rf "$work"' EXIT
mkdir -p "$work/cache"
# What an admin installs as HealthCheckProgram (slurmd passes no arguments).
cat > "$work/check" <<EOT
#!/bin/sh
exec $TRN_TRAIN health --state-dir $work/state --cache-dir $work/cache
EOT
chmod 0755 "$work/check"
"$ls" up --nodes 2 --instance trn1.32xlarge --no-plugin --health-check "$work/check:$interval" > "$work/up.log" 2>&1 ||
  fail "localslurm up: $(cat "$work/up.log")"
eval "$("$ls" env)"
n1=trn1-st-trn1-1 n2=trn1-st-trn1-2
log() { cat "$LOCALSLURM_DIR/log/health-$1.log" 2>/dev/null || true; }
runs() { log "$1" | grep -cE "^health: $1: (ok|FAIL)" || true; }
state() { sinfo -h -N -n "$1" -o '%T|%E' | head -1; }
# wait_until SECONDS CMD...: polls CMD every 0.5 s; false when it never held.
wait_until() {
  local deadline=$((SECONDS + $1)); shift
  until "$@"; do [ "$SECONDS" -lt "$deadline" ] || return 1; sleep 0.5; done
}
ran_since() { [ "$(runs "$1")" -gt "$2" ]; }
reason_is() { [[ $(state "$1") == *"|$2"* ]]; }
state_is() { [ "$(state "$1")" = "$2" ]; }

# slurmd ran it at start, before registering: both nodes healthy, no drain.
wait_until 20 ran_since "$n1" 0 || fail "no health run on $n1: $(log "$n1")"
expect_contains "$(log "$n2")" "health: $n2: ok" "first run on $n2"
expect_eq "$(state "$n2")" "idle|none" "$n2 before the break"

# A Neuron device disappears from node 2.
rm -rf "$LOCALSLURM_DIR/nodes/$n2/sys/devices/virtual/neuron_device/neuron7" \
  "$LOCALSLURM_DIR/nodes/$n2/sys/class/neuron_device/neuron7" "$LOCALSLURM_DIR/nodes/$n2/dev/neuron7"
start=$SECONDS
wait_until $((2 * interval + 5)) reason_is "$n2" "trn-train health: devices: 15 devices with 30 NeuronCores" ||
  fail "$n2 not drained within $((2 * interval + 5)) s: $(state "$n2"); $(log "$n2" | tail -5)"
echo "$n2 drained $((SECONDS - start)) s after losing a device (HealthCheckInterval=$interval)"
[[ $(state "$n2") == drain* ]] || fail "$n2 is not drained: $(state "$n2")"
expect_eq "$(state "$n1")" "idle|none" "the healthy node"

# An admin's drain of node 1 outlives two health runs that find it healthy.
scontrol update NodeName="$n1" State=DRAIN Reason="admin: keep out"
before=$(runs "$n1")
wait_until $((3 * interval + 5)) ran_since "$n1" $((before + 1)) || fail "health stopped running on $n1"
expect_eq "$(state "$n1")" "drained|admin: keep out" "$n1 after the admin's drain and two healthy runs"

# Node 2's device comes back: the next run resumes the node it drained itself.
source "$TRN_TOP/tests/fixtures/neuron_device_tree.sh"
make_device_tree "$LOCALSLURM_DIR/nodes/$n2" trn1.32xlarge
# (RESUME shows the node as idle* until slurmctld's next ping answers: wait for plain idle)
wait_until $((2 * interval + 5)) state_is "$n2" "idle|none" || fail "$n2 not resumed: $(state "$n2"); $(log "$n2" | tail -5)"
expect_contains "$(log "$n2")" "health: $n2: resumed (was drained by trn-train health)" "$n2's log"
