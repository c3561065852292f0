# The common start of the native trainer's tests, script and cluster (sourced after
# their lib.sh, which gives fail): the binary and the tiny fixture config, a private
# work folder removed on exit (also the graphs' compile cache), and Open MPI's
# settings for containers.
native=$TRN_BUILD/bin/trn-train-native
fixture=$TRN_TOP/tests/fixtures/tiny_native.yaml
[ -x "$native" ] || fail "$native not built"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export TRN_TRAIN_CACHE_DIR=$work/cache
# Containers often forbid the cross-memory attach Open MPI's shared-memory transport tries first.
export OMPI_MCA_btl_vader_single_copy_mechanism=none

# need_mpirun: skip the test (exit 77) where Open MPI's launcher is missing.
need_mpirun() { command -v mpirun >/dev/null || { echo "skip: no mpirun"; exit 77; }; }
# losses DIR: "step loss" for each step of DIR/metrics.jsonl (the JSONL keeps full precision).
losses() { sed -n 's/.*"step":\([0-9]*\),.*"reduced_train_loss":\([^,]*\),.*/\1 \2/p' "$1/metrics.jsonl" | sort -n -u; }
