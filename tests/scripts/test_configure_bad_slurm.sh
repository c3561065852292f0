# ./configure --with-slurm=/nonexistent fails with one clear line naming the path,
# the option and the packages. Runs a copy of configure in a scratch folder so the
# tree's own config.status is untouched.
source "$(dirname "$0")/lib.sh"
[ -x "$TRN_TOP/configure" ] || fail "no configure script (make runs autoreconf first)"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$scratch/launcher"
cp "$TRN_TOP/configure" "$TRN_TOP/config.mk.in" "$scratch/"
cp "$TRN_TOP/launcher/main.cc" "$scratch/launcher/"
if out=$(cd "$scratch" && ./configure --with-slurm=/nonexistent 2>&1); then fail "configure succeeded with --with-slurm=/nonexistent"; fi
expect_contains "$out" "/nonexistent/include/slurm/spank.h not found" "configure error"
expect_contains "$out" "libslurm-dev" "Debian package named"
expect_contains "$out" "slurm-devel" "RHEL package named"
[ ! -e "$scratch/config.mk" ] || fail "configure wrote config.mk despite the error"
