#!/usr/bin/env bash
# `trn-train data` vs a Python peer (bench/data_peer.py: python3-sentencepiece + numpy,
# the way a user would script it) on the same input in the same run: MB/s and tokens/s
# of both, the ratio, and a byte comparison of the .bin/.idx they wrote (they must be
# identical). Input: ~20 MB of Debian's fortunes (the `fortunes` package), '%' separators
# turned into blank lines; tokenizers: the byte one and a SentencePiece model trained on
# that text by `trn-train data --train-tokenizer`. Installs the peer's packages if missing.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${BUILD:-build}" && pwd)
trn=$build/bin/trn-train
work=$(mktemp -d /tmp/trn-data-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
# Debian's interpreter: the packages below are installed for it (a pyenv shim may come first).
py=$(command -v /usr/bin/python3 || command -v python3)
if ! "$py" -c 'import sentencepiece, numpy' 2>/dev/null; then
  apt-get install -y python3-sentencepiece python3-numpy >/dev/null
fi
fortunes=/usr/share/games/fortunes
[ -d "$fortunes" ] || apt-get install -y fortunes >/dev/null
# The plain-text fortune files (not the .dat indexes or .u8 links), UTF-8 only.
one=$work/one.txt
for f in "$fortunes"/*; do
  case $f in *.dat | *.u8) continue ;; esac
  [ -f "$f" ] && iconv -f utf-8 -t utf-8 "$f" >/dev/null 2>&1 && sed 's/^%$//' "$f" >>"$one"
done
input=$work/input.txt
for _ in $(seq "${DATA_BENCH_REPEAT:-8}"); do cat "$one"; echo; done >"$input"
workers=$(nproc)
echo "input: $(du -m "$input" | cut -f1) MB of fortunes; trn-train data --workers $workers"
"$trn" data --input "$one" --output-prefix "$work/tokprep" --train-tokenizer --vocab-size 4000 \
  --model-prefix "$work/tok" >/dev/null 2>"$work/train.log"

rate() { sed -n "s/.* \([0-9.]*\) MB\/s, \([0-9]*\) tokens\/s.*/\\$1/p" "$2"; }
for tok in byte "$work/tok.model"; do
  label=$([ "$tok" = byte ] && echo "byte tokenizer" || echo "SentencePiece (4000 pieces)")
  if [ "$tok" = byte ]; then flag=(--tokenizer byte); else flag=(--tokenizer-model "$tok"); fi
  "$trn" data --input "$input" --output-prefix "$work/c" --workers "$workers" "${flag[@]}" 2>/dev/null | tee "$work/c.out" | head -1
  "$py" "$top/bench/data_peer.py" "$input" "$work/p" "$tok" | tee "$work/p.out"
  for ext in bin idx; do
    cmp "$work/c_text_document.$ext" "$work/p.$ext" || { echo "$label: .$ext differs from the peer's: FAILED"; exit 1; }
  done
  awk -v label="$label" -v cm="$(rate 1 "$work/c.out")" -v ct="$(rate 2 "$work/c.out")" \
      -v pm="$(rate 1 "$work/p.out")" -v pt="$(rate 2 "$work/p.out")" 'BEGIN {
    printf "%s: trn-train data %.1f MB/s, %.0f tokens/s; python peer %.1f MB/s, %.0f tokens/s; ratio %.1fx; .bin/.idx identical\n",
           label, cm, ct, pm, pt, cm / pm }'
done
