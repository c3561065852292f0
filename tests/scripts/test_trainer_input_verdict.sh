# Issue 18: one rank's bad input hung the others. Each rank checked its config and
# dataset alone; a rank that failed exited, the rest waited in their first collective
# until the time limit, and when the failing rank was not rank 0 nothing was printed.
# Now every such check ends in one collective verdict (trainer/mpi/input_verdict.h):
# all ranks exit 2 together and rank 0 prints the failing rank's problem with its rank
# and node. Open MPI's MPMD form gives rank 1 alone a real bad input (a dataset or a
# config file its node does not have); `timeout` turns the old hang into a failure.
# Data that changes under a run is found mid-run by one rank, when the others are on
# their way to the next collective: that rank names itself and ends the job (MPI_Abort).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/trainer_lib.sh"
need_mpirun
host=$(hostname)

# two RANK0_ARGS -- RANK1_ARGS: rank 0 and rank 1 with their own arguments; sets $out, $rc.
two() {
  local r0=() r1=()
  while [ "$1" != -- ]; do r0+=("$1"); shift; done
  shift
  r1=("$@")
  rc=0
  out=$(timeout 60 mpirun --allow-run-as-root --oversubscribe -np 1 "$native" "${r0[@]}" : \
    -np 1 "$native" "${r1[@]}" 2>&1) || rc=$?
}
common=(exp_manager.explicit_log_dir="$work/exp" trainer.max_steps=2)

# Rank 1's node lacks the dataset rank 0 has (rank 0 trains on the synthetic corpus).
two --config "$fixture" "${common[@]}" -- --config "$fixture" "${common[@]}" "data.data_prefix=[$work/absent/corpus]"
[ "$rc" = 2 ] || fail "dataset missing on rank 1: expected exit 2 from every rank, got $rc: $out"
expect_contains "$out" "trn-train-native: error: rank 1 on $host: $work/absent/corpus.idx = " \
  "rank 1's dataset problem, named"
[[ $out != *"global_step="* ]] || fail "rank 0 trained alone: $out"

# Rank 1's node lacks the config file.
two --config "$fixture" "${common[@]}" -- --config "$work/absent.yaml" "${common[@]}"
[ "$rc" = 2 ] || fail "config missing on rank 1: expected exit 2 from every rank, got $rc: $out"
expect_contains "$out" "trn-train-native: error: rank 1 on $host: $work/absent.yaml = (unreadable)" \
  "rank 1's config problem, named"

# A problem every rank has is printed once, without a rank.
two --config "$fixture" "${common[@]}" trainer.max_steps=ten -- --config "$fixture" "${common[@]}" trainer.max_steps=ten
[ "$rc" = 2 ] || fail "a bad override on both ranks: expected exit 2, got $rc: $out"
[ "$(grep -c "trn-train-native: error: trainer.max_steps = ten" <<<"$out")" = 1 ] || fail "not printed once: $out"

# Rank 1's copy of the dataset was rewritten after its vocab.json was made: same length,
# same index, every id now past the vocabulary. Only reading a sample finds it (the
# sidecar vouches for the ids at open): rank 1 stops the job, named, mid-run.
text=/usr/share/common-licenses/GPL-3
if [ -r "$text" ]; then
  mkdir -p "$work/good" "$work/bad"
  "$TRN_BUILD/bin/trn-train" data --input "$text" --output-prefix "$work/good/gpl" --tokenizer byte --workers 1 \
    >/dev/null 2>&1 || fail "trn-train data failed"
  cp "$work"/good/* "$work/bad/"
  bin=$(ls "$work"/bad/*.bin)
  head -c "$(stat -c %s "$bin")" /dev/zero | tr '\0' '\377' >"$bin.new" && mv "$bin.new" "$bin"
  sed 's/"vocab_size": 64/"vocab_size": 257/' "$TRN_TOP/tests/fixtures/tiny_llama_config.json" >"$work/byte.json"
  data=(model.model_config="$work/byte.json" trainer.max_steps=4)
  two --config "$fixture" "${common[@]}" "${data[@]}" "data.data_prefix=[$(ls "$work"/good/*.bin | sed 's/\.bin$//')]" \
    -- --config "$fixture" "${common[@]}" "${data[@]}" "data.data_prefix=[${bin%.bin}]"
  [ "$rc" != 0 ] && [ "$rc" != 124 ] || fail "data changed under rank 1: expected the job to stop, got $rc: $out"
  expect_contains "$out" "trn-train-native: error: rank 1 on $host: ${bin}" "the rank that met the bad id, named"
fi
echo ok
