# Files planted in the shared cache (issue 10: the cache trusted what it read before it
# checked who wrote it). Every cache command must stay inside the cache, never hang on
# a FIFO, never read a link's target or an unbounded file, and recover (recompile) where
# it can:
#  1. `cache clean` through a compiler-version dir linked outside, a MODULE_* link,
#     links inside entries and planted as leftovers: nothing outside is deleted;
#  2. a FIFO as model.done, trn-train.failure, a lock: get, verify, status and clear-locks finish;
#  3. a lock linked to /dev/zero, a device node as a lock: nothing reads them (a memory cap
#     turns a read into a crash);
#  4. `cache verify` (root here) with model.done / model.neff linked to an outside FIFO;
#  5. huge (sparse) done marker, lock and stats shards: refused unread, no memory blow-up;
#  6. `--max-size 1e30` is refused (exit 2), not "no limit" through an overflow;
#  7. `cache clean --leftover-age 0` racing a compile keeps the live writer's temp file:
#     the artifact served is the whole one, never a partial file with a matching checksum.
source "$(dirname "$0")/lib.sh"
driver=$TRN_BUILD/tests/cache_driver
work=$(mktemp -d /tmp/trn-cache-hostile.XXXXXX)
trap 'rm -rf "$work"' EXIT
export CACHE_TEST_COMPILE_S=0.2
opts=(--heartbeat 0.2 --stale 1 --quiet)
# Each command under a time limit and a 2 GiB memory cap: a hang or an unbounded read
# fails the test (rc 124, or a crash) instead of stalling or exhausting the machine. The
# cap is an address-space limit, or ASan's own RSS limit in a sanitizer build (ASan
# reserves terabytes of address space and cannot start under ulimit -v).
cap=2097152
if grep -qa __asan_init "$driver"; then
  cap=
  export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}hard_rss_limit_mb=2048"
fi
run() { (if [ -n "$cap" ]; then ulimit -v "$cap"; fi; timeout 30 "$@"); }
# rc_of CMD...: runs it, prints its exit code, keeps its output in $work/out.
rc_of() { set +e; run "$@" > "$work/out" 2>&1; echo $?; set -e; }
graph() { echo "graph $1" > "$work/$1.hlo"; echo "$work/$1.hlo"; }
entry_of() { ls -d "$1"/testcc-1.0/MODULE_* | head -1; }  # the one entry of a fresh cache

# --- 1. links in the tree: clean deletes nothing outside --------------------------------
outside=$work/outside
mkdir -p "$outside/MODULE_11111111111111111111+00000000" "$outside/MODULE_22222222222222222222+00000000/inner"
echo precious > "$outside/MODULE_11111111111111111111+00000000/model.log"   # looks FAILED
echo precious > "$outside/MODULE_22222222222222222222+00000000/inner/data"
c=$work/c1
mkdir -p "$c/neuronxcc-2.15/MODULE_33333333333333333333+00000000" "$c/neuronxcc-2.15/MODULE_44444444444444444444+00000000"
ln -s "$outside" "$c/neuronxcc-1.0"                                          # an old version dir that is a link
ln -s "$outside/MODULE_22222222222222222222+00000000" "$c/neuronxcc-2.15/MODULE_55555555555555555555+00000000"
echo log > "$c/neuronxcc-2.15/MODULE_33333333333333333333+00000000/model.log"  # a real FAILED entry
e4=$c/neuronxcc-2.15/MODULE_44444444444444444444+00000000
echo n > "$e4/model.neff"; : > "$e4/model.done"
ln -s "$outside/MODULE_22222222222222222222+00000000" "$e4/sub"               # a link inside an entry
ln -s "$outside/MODULE_22222222222222222222+00000000" "$e4/model.neff.tmp.x.1" # a link as a leftover
touch -h -d '2 days ago' "$e4/model.neff.tmp.x.1"
before=$(find "$outside" | sort | md5sum)
rc=$(rc_of "$driver" cache --dir "$c" clean --old-versions --max-size 1 --leftover-age 0)
expect_eq "$rc" 0 "clean over planted links ($(cat "$work/out"))"
expect_eq "$(find "$outside" | sort | md5sum)" "$before" "files outside the cache after clean"
[ ! -e "$c/neuronxcc-2.15/MODULE_33333333333333333333+00000000" ] || fail "the real FAILED entry was kept"

# --- 2. a FIFO as model.done and as a lock ----------------------------------------------
c=$work/c2
g=$(graph g2)
run "$driver" get --dir "$c" "${opts[@]}" "$g" > /dev/null || fail "first compile"
e=$(entry_of "$c")
rm "$e/model.done" && mkfifo "$e/model.done"
rc=$(rc_of "$driver" cache --dir "$c" verify)
expect_eq "$rc" 1 "verify with a FIFO as model.done ($(cat "$work/out"))"
expect_contains "$(cat "$work/out")" "CORRUPT $e" "verify names the entry"
rc=$(rc_of "$driver" cache --dir "$c" status -v)
expect_eq "$rc" 0 "status with a FIFO as model.done"
rc=$(rc_of "$driver" get --dir "$c" "${opts[@]}" "$g")
expect_eq "$rc" 0 "get with a FIFO as model.done: recompiled ($(cat "$work/out"))"
[ -f "$e/model.done" ] && [ ! -p "$e/model.done" ] || fail "the FIFO was not replaced by a done marker"
rm "$e/model.done" && mkfifo "$e/model.hlo_module.pb.lock"
rc=$(rc_of "$driver" get --dir "$c" "${opts[@]}" "$g")
expect_eq "$rc" 0 "get with a FIFO as the lock ($(cat "$work/out"))"
f=$(graph g2FAIL70)
rc=$(rc_of "$driver" get --dir "$c" "${opts[@]}" "$f")
expect_eq "$rc" 1 "a failing compile"
ef=$(dirname "$(ls "$c"/testcc-1.0/*/trn-train.failure)")
rm "$ef/trn-train.failure" && mkfifo "$ef/trn-train.failure"
rc=$(rc_of "$driver" get --dir "$c" "${opts[@]}" "$f")
expect_eq "$rc" 1 "get with a FIFO as trn-train.failure: the cached failure ($(cat "$work/out"))"
expect_contains "$(cat "$work/out")" "failed to compile before" "the cached failure is reported"
mkfifo "$e/other.lock"
rc=$(rc_of "$driver" cache --dir "$c" clear-locks --observe 0)
expect_eq "$rc" 0 "clear-locks with a FIFO as a lock"
expect_contains "$(cat "$work/out")" "removed $e/other.lock (owner an unknown owner (not a trn-train lock)): not a regular file" \
  "the FIFO lock is removed"

# --- 3. a lock linked to /dev/zero ------------------------------------------------------
c=$work/c3
g=$(graph g3)
mkdir -p "$c/testcc-1.0"
run "$driver" get --dir "$c" "${opts[@]}" "$(graph g3b)" > /dev/null || fail "compile g3b"
e=$(entry_of "$c")
rm -rf "$e"/* && ln -s /dev/zero "$e/model.hlo_module.pb.lock"
rc=$(rc_of "$driver" cache --dir "$c" status -v)
expect_eq "$rc" 0 "status with a lock linked to /dev/zero ($(cat "$work/out"))"
rc=$(rc_of "$driver" get --dir "$c" "${opts[@]}" "$work/g3b.hlo")
expect_eq "$rc" 0 "get with a lock linked to /dev/zero ($(cat "$work/out"))"
ln -s /dev/zero "$e/zero.lock"
[ "$(id -u)" = 0 ] && mknod "$e/device.lock" c 1 5  # /dev/zero's device numbers
rc=$(rc_of "$driver" cache --dir "$c" clear-locks --observe 0)
expect_eq "$rc" 0 "clear-locks with a lock linked to /dev/zero ($(cat "$work/out"))"
[ ! -L "$e/zero.lock" ] || fail "the /dev/zero lock link was kept"
[ ! -e "$e/device.lock" ] || fail "the device node lock was kept"
[ -c /dev/zero ] || fail "/dev/zero itself was touched"

# --- 4. root's verify never opens what a record links to --------------------------------
c=$work/c4
run "$driver" get --dir "$c" "${opts[@]}" "$(graph g4)" > /dev/null || fail "compile g4"
e=$(entry_of "$c")
mkfifo "$work/trap.fifo"
ln -sf "$work/trap.fifo" "$e/model.done"
rc=$(rc_of "$driver" cache --dir "$c" verify)
expect_eq "$rc" 1 "verify with model.done linked to a FIFO outside ($(cat "$work/out"))"
expect_contains "$(cat "$work/out")" "symbolic link" "verify says why"
run "$driver" get --dir "$c" "${opts[@]}" "$work/g4.hlo" > /dev/null || fail "recompile g4"
ln -sf "$work/trap.fifo" "$e/model.neff"
rc=$(rc_of "$driver" cache --dir "$c" verify)
expect_eq "$rc" 1 "verify with model.neff linked to a FIFO outside ($(cat "$work/out"))"

# --- 5. huge files: refused unread ------------------------------------------------------
c=$work/c5
run "$driver" get --dir "$c" "${opts[@]}" "$(graph g5)" > /dev/null || fail "compile g5"
e=$(entry_of "$c")
truncate -s 8G "$e/model.done"
rc=$(rc_of "$driver" get --dir "$c" "${opts[@]}" "$work/g5.hlo")
expect_eq "$rc" 0 "get with an 8 GiB model.done ($(cat "$work/out"))"
rm "$e/model.done" && truncate -s 8G "$e/model.hlo_module.pb.lock"
rc=$(rc_of "$driver" get --dir "$c" "${opts[@]}" "$work/g5.hlo")
expect_eq "$rc" 0 "get with an 8 GiB lock ($(cat "$work/out"))"
for i in $(seq 0 15); do rm -f "$c/.stats/shard$i"; truncate -s 8G "$c/.stats/shard$i"; done
rc=$(rc_of "$driver" cache --dir "$c" status)
expect_eq "$rc" 0 "status with 8 GiB stats shards ($(cat "$work/out"))"
rc=$(rc_of "$driver" get --dir "$c" "${opts[@]}" "$(graph g5b)")
expect_eq "$rc" 0 "a compile (stats flush) with 8 GiB stats shards ($(cat "$work/out"))"

# --- 6. --max-size past 2^63 ------------------------------------------------------------
rc=$(rc_of "$driver" cache --dir "$c" clean --max-size 1e30)
expect_eq "$rc" 2 "clean --max-size 1e30"
expect_contains "$(cat "$work/out")" "--max-size = 1e30" "the refusal names the option"
[ -f "$e/model.neff" ] || fail "clean --max-size 1e30 removed entries"

# --- 7. clean racing a compile ------------------------------------------------------------
c=$work/c7
g=$(graph g7)
CACHE_TEST_COMPILE_S=3 run "$driver" get --dir "$c" --heartbeat 0.5 --stale 3 --quiet "$g" > "$work/race.out" 2>&1 &
pid=$!
for _ in $(seq 1 100); do ls "$c"/testcc-1.0/*/model.neff.tmp.* > /dev/null 2>&1 && break; sleep 0.05; done
ls "$c"/testcc-1.0/*/model.neff.tmp.* > /dev/null 2>&1 || fail "the compile wrote no temp file"
rc=$(rc_of "$driver" cache --dir "$c" clean --leftover-age 0)
expect_eq "$rc" 0 "clean during a compile ($(cat "$work/out"))"
set +e; wait "$pid"; rc=$?; set -e
expect_eq "$rc" 0 "the compile raced by clean ($(cat "$work/race.out"))"
rc=$(rc_of "$driver" cache --dir "$c" verify)
expect_eq "$rc" 0 "verify after the race ($(cat "$work/out"))"
