# Two real Unix users share one cache through a group (TRN_CACHE_GROUP), both under
# umask 022 (issue 10: folders were created 02755 and the second user could write
# nothing). Everything works for both, and what one plants (a FIFO as a done marker, a
# lock linked to /dev/zero, a version dir linked to the other's private files, huge
# stats shards) makes none of the other's commands hang, read it, or touch anything
# outside the cache. Needs root to create the users and the group.
source "$(dirname "$0")/lib.sh"
if [ "$(id -u)" != 0 ]; then
  echo "SKIP: test_cache_two_users needs root (it creates two users and a group with useradd/groupadd)"
  exit 77
fi
grp=trncg$$ ua=trnca$$ ub=trncb$$
work=$(mktemp -d /tmp/trn-cache-users.XXXXXX)
cleanup() {
  userdel "$ua" 2>/dev/null || true
  userdel "$ub" 2>/dev/null || true
  groupdel "$grp" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
groupadd "$grp"
useradd -M -N -s /bin/sh -G "$grp" "$ua"
useradd -M -N -s /bin/sh -G "$grp" "$ub"
chmod 755 "$work"
# The driver and the test compiler where both users can run them (the build dir may not be
# reachable): the driver finds the compiler at <exe dir>/../../tests/doubles/.
mkdir -p "$work/tree/build/tests" "$work/tree/tests/doubles"
cp "$TRN_BUILD/tests/cache_driver" "$work/tree/build/tests/"
cp "$(dirname "$0")/../doubles/cache_test_compiler.sh" "$work/tree/tests/doubles/"
driver=$work/tree/build/tests/cache_driver
mkdir "$work/a-home" && chown "$ua" "$work/a-home"
c=$work/a-home/shared  # user A creates the cache root
opts=(--dir "$c" --heartbeat 0.2 --stale 1 --quiet)
# as USER CMD...: the command as that user with its groups, umask 022, a time limit and a
# 2 GiB memory cap (a hang or an unbounded read fails instead of stalling the machine): an
# address-space limit, or ASan's RSS limit in a sanitizer build (ASan cannot run under ulimit -v).
cap=2097152
if grep -qa __asan_init "$driver"; then
  cap=
  export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}hard_rss_limit_mb=2048"
fi
as() {
  local u=$1; shift
  (umask 022; if [ -n "$cap" ]; then ulimit -v "$cap"; fi
   exec timeout 30 setpriv --reuid "$u" --regid "$(id -g "$u")" --init-groups \
     env HOME="$work" TRN_CACHE_GROUP="$grp" CACHE_TEST_COMPILE_S=0.2 "$@")
}
rc_of() { set +e; as "$@" > "$work/out" 2>&1; echo $?; set -e; }
graph() { echo "graph $1" > "$work/$1.hlo"; chmod 644 "$work/$1.hlo"; echo "$work/$1.hlo"; }
entry_for() { grep -l -D skip "graph=$1" "$c"/testcc-1.0/*/trn-train.record | head -1 | xargs dirname; }

# --- both users work in the cache the first one created -------------------------------------
expect_eq "$(rc_of "$ua" "$driver" get "${opts[@]}" "$(graph a1)")" 0 "user A compiles into a new cache ($(cat "$work/out"))"
expect_eq "$(stat -c %a "$c")" 2775 "the cache root's mode under umask 022"
expect_eq "$(stat -c %G "$c/testcc-1.0")" "$grp" "the version dir's group"
expect_eq "$(rc_of "$ub" "$driver" get "${opts[@]}" "$(graph b1)")" 0 "user B compiles into A's cache ($(cat "$work/out"))"
expect_contains "$(cat "$work/out")" "got 1/1 artifacts, compiled 1" "user B compiled"
expect_eq "$(rc_of "$ub" "$driver" get "${opts[@]}" "$work/a1.hlo")" 0 "user B reads A's entry ($(cat "$work/out"))"
expect_contains "$(cat "$work/out")" "compiled 0" "A's entry is a hit for B"
expect_eq "$(rc_of "$ua" "$driver" compile "${opts[@]}" "$(graph a2)")" 0 "user A: distributed compile ($(cat "$work/out"))"
expect_eq "$(rc_of "$ub" "$driver" compile "${opts[@]}" "$(graph b2)")" 0 "user B: distributed compile, A's slot dir ($(cat "$work/out"))"
for u in "$ua" "$ub"; do
  expect_eq "$(rc_of "$u" "$driver" cache --dir "$c" status -v)" 0 "status as $u ($(cat "$work/out"))"
  expect_eq "$(rc_of "$u" "$driver" cache --dir "$c" verify)" 0 "verify as $u ($(cat "$work/out"))"
  expect_contains "$(cat "$work/out")" "4 ok, 0 bad" "verify as $u"
  expect_eq "$(rc_of "$u" "$driver" cache --dir "$c" clean)" 0 "clean as $u ($(cat "$work/out"))"
done

# --- what B plants does not turn A's commands against A -------------------------------------
secret=$work/a-private
mkdir -p "$secret/MODULE_11111111111111111111+00000000"
echo "A's data" > "$secret/MODULE_11111111111111111111+00000000/model.log"
chown -R "$ua" "$secret"
as "$ub" ln -s "$secret" "$c/testcc-0.1"                       # an old version dir linked to A's files
e=$(entry_for "$work/a1.hlo")
as "$ub" sh -c "rm -f '$e/model.done' && mkfifo '$e/model.done'"  # a FIFO as A's done marker
as "$ub" "$driver" get "${opts[@]}" "$(graph a3)" > /dev/null
e3=$(entry_for "$work/a3.hlo")
as "$ub" sh -c "rm -f '$e3'/* && ln -s /dev/zero '$e3/model.hlo_module.pb.lock'"  # a lock linked to /dev/zero
as "$ub" sh -c "for i in \$(seq 0 15); do rm -f '$c/.stats/shard'\$i; truncate -s 8G '$c/.stats/shard'\$i; done"
expect_eq "$(rc_of "$ua" "$driver" get "${opts[@]}" "$work/a1.hlo" "$work/a3.hlo")" 0 "A's get past B's plants ($(cat "$work/out"))"
expect_eq "$(rc_of "$ua" "$driver" cache --dir "$c" status -v)" 0 "A's status past B's plants ($(cat "$work/out"))"
expect_eq "$(rc_of "$ua" "$driver" cache --dir "$c" clean --old-versions --leftover-age 0)" 0 "A's clean ($(cat "$work/out"))"
[ -f "$secret/MODULE_11111111111111111111+00000000/model.log" ] || fail "A's clean deleted A's files through B's link"
expect_eq "$(rc_of "$ua" "$driver" cache --dir "$c" clear-locks --observe 0)" 0 "A's clear-locks ($(cat "$work/out"))"
expect_eq "$(rc_of "$ua" "$driver" cache --dir "$c" verify)" 0 "A's verify after recovery ($(cat "$work/out"))"
