# Issue 12, ZeRO-1 (distributed_strategy.zero1): the AdamW state sharded over the
# data-parallel ranks (reduce-scatter, clip by the global norm, update the shard,
# all-gather). The loss curve must match plain data parallelism and a single rank
# with the same global batch within fp32 reduction-order tolerance. Checkpoints are
# rank-sharded (each rank its shard file, rank 0 the manifest checkpoint-<step>.bin
# last, trainer/checkpoint/checkpoint_shards.h): written at 4 ranks they resume at 2 and then 1
# (re-sharded), written at 2 they resume at 4, and each continues the same curve; a
# truncated shard of the newest checkpoint falls back to the previous one and says so.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/trainer_lib.sh"
need_mpirun
steps=12
# train RANKS DIR ARGS...: one run of the fixture (global batch 8) into DIR; the lr
# schedule is the same whatever trainer.max_steps a part of the run is given.
train() {
  local np=$1 dir=$2; shift 2
  timeout 300 mpirun --allow-run-as-root --oversubscribe -np "$np" "$native" --config "$fixture" \
    exp_manager.explicit_log_dir="$dir" trainer.max_steps=$steps trainer.log_every_n_steps=1 \
    model.optim.sched.max_steps=$steps "$@" >"$dir.out" 2>&1 ||
    fail "$np ranks into $dir: $(tail -5 "$dir.out")"
}
# agree A B WHAT: the same steps, each loss within 1e-4 relative; prints the largest difference.
agree() {
  local diff
  diff=$(join <(losses "$1") <(losses "$2") | awk -v want="$(losses "$1" | wc -l)" '
    { d = $2 - $3; if (d < 0) d = -d; r = d / ($3 < 0 ? -$3 : $3); if (r > max) max = r; if (r > 1e-4) bad = bad " step " $1 }
    END { if (NR != want || NR == 0) { print "steps differ"; exit 1 } if (bad != "") { print "beyond 1e-4:" bad; exit 1 }
          printf "%.3g\n", max }') || fail "$3: $diff"
  echo "$3: $(losses "$1" | wc -l) steps agree, largest relative loss difference $diff"
}

train 4 "$work/on" distributed_strategy.zero1=true
expect_contains "$(cat "$work/on.out")" "ZeRO-1: AdamW state sharded over 4 ranks (25168 of 100672 parameters" "zero1 active"
train 4 "$work/off" distributed_strategy.zero1=false
[[ $(cat "$work/off.out") != *"ZeRO-1"* ]] || fail "zero1: false sharded: $(cat "$work/off.out")"
train 1 "$work/one" distributed_strategy.zero1=true
train 3 "$work/three" distributed_strategy.zero1=true data.micro_batch_size=1 data.global_batch_size=9 \
  trainer.max_steps=4  # uneven shards (100672 = 3 x 33557 + 1)
agree "$work/on" "$work/off" "4 ranks, zero1 on vs off"
# The sharded run wrote one shard per rank and the manifest naming them; together they
# hold the same state as the unsharded run's single file, to fp32 rounding.
for r in 0 1 2 3; do
  [ -f "$work/on/checkpoints/checkpoint-$steps.shard-$r-of-4.bin" ] || fail "no shard of rank $r: $(ls "$work/on/checkpoints")"
done
expect_contains "$(cat "$work/on/checkpoints/checkpoint-$steps.bin")" "ranks=4" "manifest"
python3 - "$work/on/checkpoints/checkpoint-$steps.bin" "$work/off/checkpoints/checkpoint-$steps.bin" <<'PY' ||
import array, re, sys
def section(data):
    values = array.array('f')
    values.frombytes(data[data.index(b'\n\n') + 2:])
    return values
def payload(path):
    data = open(path, 'rb').read()
    if not data.startswith(b'trn-train native checkpoint 3 manifest'):
        return section(data)
    ranks = int(re.search(rb'ranks=(\d+)', data).group(1))
    shards = [section(open(path[:-4] + f'.shard-{r}-of-{ranks}.bin', 'rb').read()) for r in range(ranks)]
    parts = [array.array('f') for _ in range(3)]
    for s in shards:
        c = len(s) // 3
        for k in range(3): parts[k].extend(s[k * c:(k + 1) * c])
    return parts[0] + parts[1] + parts[2]
a, b = payload(sys.argv[1]), payload(sys.argv[2])
n = len(b) // 3
for k, name in enumerate(['parameters', 'AdamW m', 'AdamW v']):
    x, y = a[k * n:(k + 1) * n], b[k * n:(k + 1) * n]
    scale = max(abs(v) for v in y)
    worst = max(abs(p - q) for p, q in zip(x, y))
    print(f'{name}: largest difference {worst:.3g} (largest value {scale:.3g})')
    if worst > 1e-4 * scale: sys.exit(1)
PY
  fail "the zero1 checkpoint's state differs from the unsharded run's"
agree "$work/on" "$work/one" "zero1 at 4 ranks vs 1 rank"

# Saved at 4 ranks half-way, resumed at 2 ranks (and, from there, at 1): the same curve.
train 4 "$work/moved" distributed_strategy.zero1=true trainer.max_steps=6
train 2 "$work/moved" distributed_strategy.zero1=true trainer.max_steps=9
expect_contains "$(cat "$work/moved.out")" "resumed from $work/moved/checkpoints/checkpoint-6.bin at step 6" "resume at 2"
expect_contains "$(cat "$work/moved.out")" "sharded over 2 ranks" "re-sharded at 2"
train 1 "$work/moved"
expect_contains "$(cat "$work/moved.out")" "at step 9" "resume at 1"
agree "$work/moved" "$work/on" "4 -> 2 -> 1 ranks resumed vs uninterrupted"
# Saved at 2 ranks, resumed at 4: each rank reads the halves of the two shards its slice spans.
train 2 "$work/grown" distributed_strategy.zero1=true trainer.max_steps=6
train 4 "$work/grown" distributed_strategy.zero1=true
expect_contains "$(cat "$work/grown.out")" "resumed from $work/grown/checkpoints/checkpoint-6.bin at step 6" "resume at 4"
agree "$work/grown" "$work/on" "2 -> 4 ranks resumed vs uninterrupted"

# A truncated shard of the newest checkpoint: the previous one is resumed, and that is said.
ckpt=$work/grown/checkpoints
truncate -s 5000 "$ckpt/checkpoint-$steps.shard-1-of-4.bin"
train 4 "$work/grown" distributed_strategy.zero1=true trainer.max_steps=$((steps + 1))
expect_contains "$(cat "$work/grown.out")" "warning: $ckpt/checkpoint-$steps.shard-1-of-4.bin = 5000 bytes: truncated" "truncated shard named"
expect_contains "$(cat "$work/grown.out")" "falling back to the previous checkpoint $ckpt/checkpoint-6.bin" "fallback said"
echo ok
