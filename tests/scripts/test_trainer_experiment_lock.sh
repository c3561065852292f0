# Issue 18: two runs on one experiment folder were not excluded: the second deleted
# the first's in-flight checkpoint temporaries as a killed writer's, or both finished
# with their checkpoints mixed. Rank 0 now holds <folder>/experiment.lock with a
# heartbeat (trainer/checkpoint/experiment_lock.h, the compile cache's cluster lock):
# a second run while the first lives exits 2 naming the holder, before it touches the
# folder; the lock of a killed run is taken over.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/trainer_lib.sh"
exp=$work/exp
# The first run, long enough to be alive while the second starts; stopped by SIGTERM later.
# Generic kernels: nothing to compile, so the runs start at once.
"$native" --kernels=generic --config "$fixture" exp_manager.explicit_log_dir="$exp" trainer.max_steps=1000000 \
  trainer.log_every_n_steps=1 >"$work/first.out" 2>&1 &
first=$!
for _ in $(seq 600); do grep -q "global_step=" "$work/first.out" && break; sleep 0.1; done
grep -q "global_step=" "$work/first.out" || fail "the first run did not start: $(cat "$work/first.out")"
# A killed writer's leftover would be removed by a run that may write the folder.
touch "$exp/checkpoints/checkpoint-9.bin.tmp.0123456789abcdef.1"

rc=0
out=$(timeout 60 "$native" --kernels=generic --config "$fixture" exp_manager.explicit_log_dir="$exp" \
  trainer.max_steps=2 2>&1) || rc=$?
kill -TERM "$first"
wait "$first" || true
[ "$rc" = 2 ] || fail "a second run on a live run's folder: expected exit 2, got $rc: $out"
expect_contains "$out" "trn-train-native: error: $exp = (in use by host=" "the folder and its holder"
expect_contains "$out" " pid=$first job=" "the holder's pid"
expect_contains "$out" "another run writes this experiment folder" "why"
[[ $out != *"global_step="* ]] || fail "the second run trained: $out"
[ -e "$exp/checkpoints/checkpoint-9.bin.tmp.0123456789abcdef.1" ] || fail "the second run cleaned the live folder"
[ ! -e "$exp/experiment.lock" ] || fail "the first run left its lock: $(cat "$exp/experiment.lock")"

# A killed run's lock (untouched for minutes) is taken over, and said so.
printf 'host=gone-node\npid=4242\njob=77.0\ntoken=dead\nstarted=1\n' >"$exp/experiment.lock"
touch -d '10 minutes ago' "$exp/experiment.lock"
rc=0
out=$(timeout 60 "$native" --kernels=generic --config "$fixture" exp_manager.explicit_log_dir="$exp" \
  trainer.max_steps=2 2>&1) || rc=$?
[ "$rc" = 0 ] || fail "a killed run's lock: exit $rc: $out"
expect_contains "$out" "experiment: took over $exp/experiment.lock from host=gone-node pid=4242 job=77.0" \
  "takeover said"
[ ! -e "$exp/experiment.lock" ] || fail "the lock outlived its run"
echo ok
