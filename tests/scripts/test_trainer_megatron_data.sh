# The trainer on a Megatron dataset (issue 12): `trn-train data --tokenizer byte`
# writes it from real text, data.data_prefix names it, the loss falls, val_loss comes
# from the validation split, consumed_samples is the data position, the generate mode
# decodes with the tokenizer the dataset records; a dataset whose ids exceed the
# model's vocabulary is refused before step 1; a blend with a prefix that has no
# validation document validates on the others.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/trainer_lib.sh"
[ -x "$TRN_BUILD/bin/trn-train" ] || fail "trn-train not built"
text=/usr/share/common-licenses/GPL-3   # English prose on every Debian machine (base-files)
[ -r "$text" ] || { echo "skip: $text missing"; exit 77; }
run() { rc=0; out=$(timeout 300 "$@" 2>&1) || rc=$?; }

run "$TRN_BUILD/bin/trn-train" data --input "$text" --output-prefix "$work/gpl" --tokenizer byte --workers 1
[ "$rc" = 0 ] || fail "trn-train data: exit $rc: $out"
prefix=$(ls "$work"/gpl*.idx | sed 's/\.idx$//')
sed 's/"vocab_size": 64/"vocab_size": 257/' "$TRN_TOP/tests/fixtures/tiny_llama_config.json" >"$work/byte.json"
train=("$native" --config "$fixture" exp_manager.explicit_log_dir="$work/exp" "data.data_prefix=[$prefix]"
       "data.splits_string='90,10,0'" model.model_config="$work/byte.json" trainer.max_steps=40 trainer.log_every_n_steps=10
       trainer.val_check_interval=20 trainer.limit_val_batches=2 model.optim.lr=0.01)
run "${train[@]}"
[ "$rc" = 0 ] || fail "training on the dataset: exit $rc: $out"
expect_contains "$out" "Megatron dataset $prefix" "the banner names the dataset"
expect_contains "$out" "global_step=40.000, consumed_samples=320.0" "data position"
first=$(sed -n 's/.*reduced_train_loss=\([0-9.]*\),.*global_step=10\.000.*/\1/p' <<<"$out")
last=$(sed -n 's/.*reduced_train_loss=\([0-9.]*\),.*global_step=40\.000.*/\1/p' <<<"$out")
awk -v a="$first" -v b="$last" 'BEGIN { exit !(b < a - 0.3) }' || fail "loss did not fall: step 10 $first, step 40 $last"
grep -q '"step":40,.*"val_loss"' "$work/exp/metrics.jsonl" || fail "no val_loss at step 40: $(tail -2 "$work/exp/metrics.jsonl")"

# generate decodes bytes (the dataset's vocab.json says tokenizer byte).
run "$native" --generate --config "$fixture" exp_manager.explicit_log_dir="$work/exp" "data.data_prefix=[$prefix]" \
  model.model_config="$work/byte.json" --prompt "The GNU General" --max-new-tokens 20
[ "$rc" = 0 ] || fail "generate: exit $rc: $out"
expect_contains "$out" "tokenizer byte" "generate uses the dataset's tokenizer"
expect_contains "$(tail -1 <<<"$out")" "The GNU General" "the prompt is continued"

# Issue 18: a blend whose second prefix (3 paragraphs) has no validation document under
# 90,10,0 validates on the first alone; it died of SIGFPE at the first validation.
printf 'one small paragraph of text\n\ntwo small paragraphs\n\nthree\n' >"$work/small.txt"
run "$TRN_BUILD/bin/trn-train" data --input "$work/small.txt" --output-prefix "$work/small" --tokenizer byte --workers 1
[ "$rc" = 0 ] || fail "trn-train data (small): exit $rc: $out"
small=$(ls "$work"/small*.idx | sed 's/\.idx$//')
run "$native" --config "$fixture" exp_manager.explicit_log_dir="$work/blend" "data.data_prefix=[1,$prefix,1,$small]" \
  "data.splits_string='90,10,0'" model.model_config="$work/byte.json" trainer.max_steps=2 trainer.val_check_interval=2 \
  trainer.limit_val_batches=1
[ "$rc" = 0 ] || fail "blend with a prefix without validation samples: exit $rc: $out"
grep -q '"step":2,.*"val_loss"' "$work/blend/metrics.jsonl" || fail "no val_loss in the blend: $out"

# The byte dataset (ids up to 256) against the 64-token model: refused before step 1.
run "$native" --config "$fixture" exp_manager.explicit_log_dir="$work/bad" "data.data_prefix=[$prefix]"
[ "$rc" = 2 ] || fail "ids beyond the vocabulary: exit $rc: $out"
[[ $out != *"global_step="* ]] || fail "trained on ids beyond the vocabulary: $out"
echo ok
