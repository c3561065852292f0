#!/usr/bin/env bash
# The README's demo, end to end on this machine:
#   1. a local 4-node Slurm (tests/cluster/localslurm) with spank_neuron.so loaded;
#   2. real English text (Debian's fortunes) -> `trn-train data`: a SentencePiece
#      tokenizer trained on it, then a Megatron indexed dataset (.bin + .idx);
#   3. the ahead-of-time compile job:  COMPILE=1 sbatch --exclusive --nodes 4 --wrap "srun trn-train"
#   4. the training job:               COMPILE=0 sbatch --exclusive --nodes 4 --wrap "srun trn-train"
#      with CONF_FILE=tiny_llama_text: the bundled native engine trains a small Llama
#      for real, data parallel over MPI across the 4 nodes, with validation;
#   5. text sampled from the trained model (trn-train-native --generate).
# Leaves nothing running.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
ls=$top/tests/cluster/localslurm
export LOCALSLURM_DIR=${LOCALSLURM_DIR:-${TMPDIR:-/tmp}/trn-train-demo-$(id -u)}
trap '"$ls" down >/dev/null 2>&1 || true' EXIT
"$ls" down >/dev/null 2>&1 || true
"$ls" up --nodes 4 --instance trn1.32xlarge
eval "$("$ls" env)"
export PATH=$top/build/bin:$PATH
export CONF_FILE=${CONF_FILE:-tiny_llama_text}
work=${DEMO_DIR:-$(mktemp -d)}
cd "$work"
# The shared compile cache is the site's, as an admin would set it in
# /etc/trn-train/site.yaml: every node's compile and train steps and `trn-train
# cache` resolve it from there (nothing exported by hand).
{ cat "$TRN_TRAIN_SITE_CONF"; echo "cache_root: $work/compile-cache"; } > "$work/site.yaml"
export TRN_TRAIN_SITE_CONF=$work/site.yaml
echo "== working in $work (logs/, nemo_experiments/, compile-cache/, data/, slurm-*.out; site file site.yaml)"

# Every fortune of Debian's fortunes package (ASCII drawings left out), one document each.
echo
echo "== real text: Debian's fortunes -> $work/data/fortunes.txt"
mkdir -p "$work/data"
fortunes=/usr/share/games/fortunes
[ -d "$fortunes" ] || { echo "demo: $fortunes missing: run scripts/install-deps (package fortunes)" >&2; exit 1; }
for f in "$fortunes"/*; do
  case $f in *.dat | *.u8 | */ascii-art) continue ;; esac
  [ -f "$f" ] && sed 's/^%$//' "$f"
done > "$work/data/fortunes.txt"
echo "== trn-train data --train-tokenizer --vocab-size 1024 (SentencePiece) + the Megatron dataset"
trn-train data --input "$work/data/fortunes.txt" --output-prefix "$work/data/fortunes" \
  --train-tokenizer --vocab-size 1024 --model-prefix "$work/data/tokenizer"
dataset="data.data_prefix=[1.0,$work/data/fortunes_text_document]"

echo "== the plan (trn-train plan --conf $CONF_FILE --nodes 4)"
trn-train plan --conf "$CONF_FILE" --nodes 4 "$dataset"

for compile in 1 0; do
  echo
  echo "== COMPILE=$compile sbatch --wait --exclusive --nodes 4 --wrap \"srun trn-train $dataset\""
  out=$work/slurm-compile$compile.out
  if ! COMPILE=$compile sbatch --wait --exclusive --nodes 4 -o "$out" --wrap "srun trn-train '$dataset'" >/dev/null; then
    cat "$out"; echo "demo: the COMPILE=$compile job failed (output above)" >&2; exit 1
  fi
  cat "$out"
done
echo
trn-train cache status

# The training job's effective config (what ran) names the experiment and the dataset.
config=$(ls -t "$work"/logs/*/0/*/config.yaml | head -1)
echo
echo "== what the model learned: trn-train-native --generate --top-k 8 (prompts from the demo)"
for prompt in "The meaning of life is" "A computer" "Never trust"; do
  trn-train-native --generate --config "$config" --prompt "$prompt" --max-new-tokens 32 --top-k 8 2>/dev/null
done
exp=$work/nemo_experiments/tiny_llama_text
echo
echo "demo: done -- tokenizer and dataset built from real text, compiled, then trained on 4 Slurm nodes"
echo "      experiment (checkpoints/, metrics.jsonl, TensorBoard events): $exp"
echo "      per-node console logs: $work/logs; tensorboard --logdir $exp shows the curves"
