# Issue 8, on the real 4-node cluster with the plugin loaded:
#  * bug C: with only cache_root in the site file (no TRN_TRAIN_CACHE_DIR exported)
#    a native run compiles into that cache on every node, training loads from it,
#    and `trn-train cache status` (no --dir) reports it;
#  * bug E: `srun trn-train --conf X ...` and `srun trn-train KEY=VALUE` are `run`;
#  * the effective config (overrides applied) is on disk in each node's log folder
#    and is what the trainer read.
source "$(dirname "$0")/lib.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
unset TRN_TRAIN_CACHE_DIR NEURON_COMPILE_CACHE_URL NEURON_CC_FLAGS
{ cat "$TRN_TRAIN_SITE_CONF"; echo "cache_root: $work/shared-cache"; } > "$work/site.yaml"
export TRN_TRAIN_SITE_CONF=$work/site.yaml
cd "$work"

# COMPILE=1 with run's options and no command word (bug E).
COMPILE=1 sbatch --wait -N4 -o "$work/compile.out" \
  --wrap "srun $TRN_TRAIN --conf tiny_llama_native trainer.max_steps=4" >/dev/null \
  || fail "compile job failed: $(cat "$work/compile.out")"
expect_contains "$(cat "$work/compile.out")" "Total successful compilations: 1" "compile summary"
[ -n "$(ls "$work/shared-cache" 2>/dev/null)" ] || fail "nothing compiled into the site's cache_root"

# COMPILE=0 with only an override and CONF_FILE from the environment (bug E).
CONF_FILE=tiny_llama_native sbatch --wait -N4 -o "$work/train.out" \
  --wrap "srun $TRN_TRAIN trainer.max_steps=4 trainer.log_every_n_steps=1" >/dev/null \
  || fail "train job failed: $(cat "$work/train.out")"
out=$(cat "$work/train.out")
expect_contains "$out" "loaded from the compile cache" "training used the graph the compile job cached"
expect_contains "$out" "| 4/4 [" "trained to the overridden max_steps"

# Every node wrote the effective config and it carries the override.
n=$(ls "$work"/logs/*/0/*/config.yaml | wc -l)
expect_eq "$n" 8 "effective configs (2 jobs x 4 nodes)"
grep -q "max_steps: 4" "$work"/logs/*/0/3/config.yaml || fail "effective config lacks the override"

# The cache command finds the same cache from the site file alone.
status=$("$TRN_TRAIN" cache status) || fail "cache status failed: $status"
expect_contains "$status" "cache: $work/shared-cache" "cache status resolves the site's cache_root"

# Unknown command words are refused with the list of commands (exit 2).
set +e
err=$("$TRN_TRAIN" frobnicate 2>&1); rc=$?
set -e
expect_eq "$rc" 2 "unknown command exit status"
expect_contains "$err" "the commands are plan, run, submit, cache" "unknown command message"
