# Issue 12, on the real 4-node cluster: the native engine trains on real text.
#  * `trn-train data --train-tokenizer` builds a SentencePiece tokenizer and a
#    Megatron dataset from Debian's fortunes (what the demo does);
#  * COMPILE=1 then COMPILE=0 of conf/tiny_llama_text on 4 nodes trains on it: the loss
#    at step 200 is well below its start and val_loss is reported;
#  * the TensorBoard event file decodes with an independent reader and holds every
#    step's reduced_train_loss; the JSONL metrics, the TensorBoard scalars and every
#    node's console log exist and agree;
#  * generate continues a prompt from the trained experiment.
source "$(dirname "$0")/lib.sh"
fortunes=/usr/share/games/fortunes
[ -d "$fortunes" ] || fail "$fortunes missing: scripts/install-deps installs the fortunes package"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
unset TRN_TRAIN_CACHE_DIR NEURON_COMPILE_CACHE_URL NEURON_CC_FLAGS NEMO_EXPM_VERSION
export TRN_TRAIN_CACHE_DIR=$work/cache
cd "$work"

for f in "$fortunes"/*; do
  case $f in *.dat | *.u8 | */ascii-art) continue ;; esac
  [ -f "$f" ] && sed 's/^%$//' "$f"
done > text.txt
"$TRN_TRAIN" data --input text.txt --output-prefix "$work/fortunes" --train-tokenizer --vocab-size 1024 \
  --model-prefix "$work/tok" > data.out 2>&1 || fail "trn-train data failed: $(cat data.out)"
[ -s fortunes_text_document.bin ] && [ -s fortunes_text_document.idx ] || fail "no dataset: $(cat data.out)"

args="data.data_prefix=[1.0,$work/fortunes_text_document] trainer.max_steps=200 model.optim.sched.max_steps=200"
args+=" trainer.log_every_n_steps=10 trainer.val_check_interval=100"
for compile in 1 0; do
  job=$(COMPILE=$compile CONF_FILE=tiny_llama_text sbatch --parsable --wait -N4 -o "$work/job$compile.out" \
    --wrap "srun $TRN_TRAIN $args") || fail "COMPILE=$compile job failed: $(cat "$work/job$compile.out")"
done
expect_contains "$(cat job1.out)" "Total successful compilations" "compile summary"
out=$(cat job0.out)
expect_contains "$out" "Megatron dataset $work/fortunes_text_document" "trained on the dataset"
expect_contains "$out" "| 200/200 [" "trained to step 200"
expect_contains "$out" "val_loss=" "validation loss reported"

exp=$work/nemo_experiments/tiny_llama_text
events=("$exp"/events.out.tfevents.*)
[ "${#events[@]}" = 1 ] && [ -f "${events[0]}" ] || fail "expected one TensorBoard event file in $exp: $(ls "$exp")"
/usr/bin/python3 "$TRN_TOP/tests/scripts/trainer_read_tfevents.py" "${events[0]}" > events.jsonl || fail "event file did not decode"
logs=(logs/"$job"/0/*/log)
expect_eq "${#logs[@]}" 4 "one console log per node of the training job"
for l in "${logs[@]}"; do [ -s "$l" ] || fail "empty console log $l"; done
/usr/bin/python3 - events.jsonl "$exp/metrics.jsonl" "logs/$job/0/0/log" <<'EOF' || fail "TensorBoard, JSONL and console disagree"
import json, re, struct, sys
events = [json.loads(l) for l in open(sys.argv[1])]
metrics = [json.loads(l) for l in open(sys.argv[2])]
tb = {e["step"]: e for e in events if "reduced_train_loss" in e}
assert sorted(tb) == list(range(1, 201)), "TensorBoard steps: %s" % sorted(tb)[:5]
js = {m["step"]: m for m in metrics if "reduced_train_loss" in m}
f32 = lambda x: struct.unpack("<f", struct.pack("<f", x))[0]
for step, m in js.items():
    assert tb[step]["reduced_train_loss"] == f32(m["reduced_train_loss"]), step
console = {int(g): float(v) for v, g in
           re.findall(r"reduced_train_loss=([0-9.]+),.* global_step=(\d+)\.000", open(sys.argv[3]).read())}
assert set(console) == set(js) and len(js) == 20, (sorted(console), sorted(js))
for step, loss in console.items():
    assert abs(loss - js[step]["reduced_train_loss"]) < 1e-3, (step, loss)
start = sum(tb[s]["reduced_train_loss"] for s in range(1, 11)) / 10
end = sum(tb[s]["reduced_train_loss"] for s in range(191, 201)) / 10
print("loss: steps 1-10 %.3f, steps 191-200 %.3f" % (start, end))
assert end < start - 1.0, "the loss did not fall well below its start"
assert any("val_loss" in m for m in metrics), "no val_loss in the JSONL"
EOF

# A trained model may end its text early (it once said "The meaning of life." and
# stopped): --min-new-tokens holds the end of sequence back for 8 tokens. Greedy
# generation from one checkpoint is deterministic, so two runs print the same text.
config=$(ls logs/"$job"/0/0/config.yaml)
for n in 1 2; do
  "$TRN_BUILD/bin/trn-train-native" --generate --config "$config" --prompt "The meaning of life" \
    --min-new-tokens 8 --max-new-tokens 16 > "gen$n.out" 2> "gen$n.err" || fail "generate failed: $(cat "gen$n.err")"
done
text=$(cat gen1.out)
expect_eq "$(cat gen2.out)" "$text" "generate is deterministic"
[[ $text == "The meaning of life"* ]] || fail "generate does not continue the prompt: $text"
added=$(sed -n 's/^generate: added \([0-9]*\) tokens$/\1/p' gen1.err)
[ -n "$added" ] && [ "$added" -ge 8 ] || fail "generate added fewer than 8 tokens: $(cat gen1.err)"
