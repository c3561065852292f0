# The documented Neuron doubles (tests/doubles/) write cache entries in the SDK's format
# (tests/fixtures/neuron_cache/README.md): collect leaves model.hlo_module.pb and a
# compile_flags.json JSON list of the compiler flags; compile leaves model.neff and an
# EMPTY model.done; the lock while compiling is a regular file named
# model.hlo_module.pb.lock (its presence is the lock), gone afterwards. Every test that
# runs these doubles relies on it, as does trn-train's compile of collected graphs.
source "$(dirname "$0")/lib.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export PATH="$TRN_TOP/tests/doubles:$PATH" NEURON_COMPILE_CACHE_URL="$work/cache" TRN_DOUBLE_OUT="$work"
export NEURON_CC_FLAGS='--model-type transformer --cache_dir='"$work/cache"' --auto-cast none'
cd "$work"
neuron_parallel_compile --command collect torchrun train.py > collect.out 2>&1 || fail "collect: $(cat collect.out)"
entries=("$work"/cache/neuronxcc-*/MODULE_*)
[ "${#entries[@]}" = 3 ] || fail "3 collected entries expected, got ${#entries[@]}"
for e in "${entries[@]}"; do
  [ "$(cd "$e" && ls | tr '\n' ' ')" = "compile_flags.json model.hlo_module.pb " ] || fail "collected entry $e: $(ls "$e")"
  [ "$(cat "$e/compile_flags.json")" = '["--model-type", "transformer", "--auto-cast", "none"]' ] ||
    fail "compile_flags.json is not the SDK's JSON list: $(cat "$e/compile_flags.json")"
done
# A compile holds the SDK's lock file: a regular file, which another compile waits on.
: > "${entries[0]}/model.hlo_module.pb.lock"
NPC_DOUBLE_LOCK_WAIT=1 neuron_parallel_compile --command compile torchrun train.py > held.out 2>&1 && fail "compiled under a held lock"
expect_contains "$(cat held.out)" "gave up waiting for the lock ${entries[0]}/model.hlo_module.pb.lock" "the double waits on the file"
[ ! -e "${entries[0]}/model.neff" ] || fail "the locked graph was compiled"
rm "${entries[0]}/model.hlo_module.pb.lock"
neuron_parallel_compile --command compile torchrun train.py > compile.out 2>&1 || fail "compile: $(cat compile.out)"
for e in "${entries[@]}"; do
  [ "$(cd "$e" && ls | tr '\n' ' ')" = "compile_flags.json model.done model.hlo_module.pb model.neff " ] ||
    fail "compiled entry $e: $(ls "$e")"
  [ -f "$e/model.done" ] && [ ! -s "$e/model.done" ] || fail "model.done of $e is not empty"
done
echo "ok: the doubles write the SDK's entry format"
