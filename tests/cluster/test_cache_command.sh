# `trn-train cache status|verify|clean|clear-locks` on a fake Neuron cache tree
# (every entry state, two compiler versions), and clear-locks across nodes: a
# live compile on another node keeps its lock, a dead owner's lock is removed.
source "$(dirname "$0")/lib.sh"
driver=$TRN_BUILD/tests/cache_driver
cmd=("$driver" cache)
[ -x "$TRN_TRAIN" ] && cmd=("$TRN_TRAIN" cache)
work=$(mktemp -d /tmp/trn-cache-cmd.XXXXXX)
trap 'rm -rf "$work"' EXIT
c=$work/neuron
entry() {  # VERSION MODULE FILE...
  local d=$c/neuronxcc-$1/$2; shift 2
  mkdir -p "$d"
  for f; do echo "$f content" > "$d/$f"; done
}
entry 2.15.128.0+56dc5a86 MODULE_56f0d314fda2b6e1e336+617f6939 model.hlo_module.pb model.neff model.done compile_flags.json
entry 2.15.128.0+56dc5a86 MODULE_11111111111111111111+617f6939 model.hlo_module.pb model.log
entry 2.15.128.0+56dc5a86 MODULE_22222222222222222222+617f6939 model.hlo_module.pb model.hlo_module.pb.lock
entry 2.15.128.0+56dc5a86 MODULE_33333333333333333333+617f6939 model.hlo_module.pb
entry 2.14.227.0+2d4f85be MODULE_9219523464496887986+abb26765 model.hlo.pb model.neff model.done compile_flags.txt
entry 2.14.227.0+2d4f85be MODULE_44444444444444444444+abb26765 model.hlo.pb model.log

out=$("${cmd[@]}" status --dir "$c" -v) || fail "status: $out"
row=$(awk '$1=="neuronxcc-2.15.128.0+56dc5a86"{print $2, $3, $4, $5}' <<< "$out")
expect_eq "$row" "1 1 1 1" "SUCCESS FAILED LOCKED EMPTY of 2.15"
row=$(awk '$1=="neuronxcc-2.14.227.0+2d4f85be"{print $2, $3, $4, $5}' <<< "$out")
expect_eq "$row" "1 1 0 0" "SUCCESS FAILED LOCKED EMPTY of 2.14"
expect_contains "$out" "FAILED   neuronxcc-2.15.128.0+56dc5a86/MODULE_11111111111111111111+617f6939" "entry list"
out=$("${cmd[@]}" verify --dir "$c") || fail "verify: $out"
expect_contains "$out" "2 without checksum (written by Neuron tools)" "verify of Neuron entries"
out=$("${cmd[@]}" clean --dir "$c" --old-versions) || fail "clean: $out"
expect_contains "$out" "removed 2 failed, 1 old-version" "clean"
out=$("${cmd[@]}" status --dir "$c")
expect_eq "$(awk '$1=="total"{print $2, $3, $4, $5}' <<< "$out")" "1 0 1 1" "after clean: failed and old version gone"
[ -d "$c/neuronxcc-2.14.227.0+2d4f85be" ] && fail "old version still there"

# clear-locks: a compile in progress on node 2 (heartbeating), a dead owner's lock from node 3.
echo "slow graph" > "$work/slow.hlo"
CACHE_TEST_COMPILE_S=8 srun -N1 -w trn1-st-trn1-2 "$driver" get --dir "$work/c2" --heartbeat 0.5 --stale 3 --quiet \
  "$work/slow.hlo" > "$work/slow.out" 2>&1 &
for _ in $(seq 1 50); do ls "$work"/c2/*/*/model.hlo_module.pb.lock >/dev/null 2>&1 && break; sleep 0.2; done
live=$(ls "$work"/c2/*/*/model.hlo_module.pb.lock) || fail "no lock from the compile on node 2"
expect_contains "$(cat "$live")" "host=trn1-st-trn1-2" "lock owner host"
dead=$work/c2/testcc-1.0/MODULE_deaddeaddeaddeaddead+00000000
mkdir -p "$dead"
printf 'host=trn1-st-trn1-3\npid=12345\njob=99.0\ntoken=gone\nstarted=1\n' > "$dead/model.hlo_module.pb.lock"
out=$(TRN_CACHE_STALE_S=3 "${cmd[@]}" clear-locks --dir "$work/c2" --observe 3) || fail "clear-locks: $out"
expect_contains "$out" "removed $dead/model.hlo_module.pb.lock (owner host=trn1-st-trn1-3 pid=12345 job=99.0)" "dead lock removed"
expect_contains "$out" "kept $live (owner host=trn1-st-trn1-2" "live lock kept"
[ -e "$live" ] || fail "live lock was removed"
wait
expect_contains "$(cat "$work/slow.out")" "got 1/1 artifacts" "the slow compile finished"

# Inspecting a cache dir that does not exist says so (exit 1) and creates nothing.
set +e
out=$("${cmd[@]}" status --dir "$work/typo" 2>&1); rc=$?
set -e
expect_eq "$rc" 1 "status of a missing dir"
expect_contains "$out" "cache dir = $work/typo: does not exist" "missing dir message"
[ ! -e "$work/typo" ] || fail "cache status created $work/typo"
