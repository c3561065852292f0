# `trn-train data` on real text (Debian's fortunes, '%' separators as blank lines):
# the byte tokenizer, --train-tokenizer, a SentencePiece model on JSONL input; the output
# independent of --workers; and each bad input one `trn-train: error:` line, exit 2.
source "$(dirname "$0")/lib.sh"
trn=$TRN_BUILD/bin/trn-train
[ -x "$trn" ] || fail "$trn not built"
fortunes=/usr/share/games/fortunes
[ -f "$fortunes/computers" ] || { echo "SKIP: the fortunes package is not installed"; exit 77; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
text=$work/fortunes.txt
sed 's/^%$//' "$fortunes/computers" "$fortunes/science" >"$text"

run() { rc=0; out=$(timeout 120 "$@" 2>&1) || rc=$?; }
# field FILE KEY: an integer from the .vocab.json sidecar.
field() { sed -n "s/.*\"$2\": \([0-9]*\).*/\1/p" "$1"; }

# Byte tokenizer: uint16 ids, EOS 256 after each document, the sidecar's counts match the files.
run "$trn" data --input "$text" --output-prefix "$work/byte" --tokenizer byte --workers 2
[ "$rc" = 0 ] || fail "byte: exit $rc: $out"
expect_contains "$out" "wrote $work/byte_text_document.bin/.idx: " "byte summary"
expect_contains "$out" "MB/s" "byte summary"
side=$work/byte_text_document.vocab.json
[ "$(field "$side" vocab_size)" = 257 ] || fail "byte: vocab_size in $side: $(cat "$side")"
[ "$(field "$side" max_token_id)" = 256 ] || fail "byte: max_token_id in $side: $(cat "$side")"
tokens=$(field "$side" tokens) docs=$(field "$side" documents)
[ "$(stat -c %s "$work/byte_text_document.bin")" = $((2 * tokens)) ] || fail "byte: .bin is not 2 bytes a token"
[ "$(stat -c %s "$work/byte_text_document.idx")" = $((34 + 12 * docs + 8 * (docs + 1))) ] || fail "byte: .idx size"
[ "$tokens" -gt $(($(wc -c <"$text") / 2)) ] || fail "byte: too few tokens ($tokens)"
# The same bytes with one worker: chunks are written in file order.
run "$trn" data --input "$text" --output-prefix "$work/one" --tokenizer byte --workers 1
cmp "$work/one_text_document.bin" "$work/byte_text_document.bin" || fail "--workers 1 and 2 differ (.bin)"
cmp "$work/one_text_document.idx" "$work/byte_text_document.idx" || fail "--workers 1 and 2 differ (.idx)"

# --train-tokenizer: a SentencePiece model trained on the text, then used for the dataset.
run "$trn" data --input "$text" --output-prefix "$work/sp" --train-tokenizer --vocab-size 600 --model-prefix "$work/tok"
[ "$rc" = 0 ] || fail "--train-tokenizer: exit $rc: $out"
[ -s "$work/tok.model" ] || fail "--train-tokenizer wrote no $work/tok.model"
expect_contains "$out" "(vocabulary 600, sentencepiece:$work/tok.model)" "--train-tokenizer summary"
[ "$(field "$work/sp_text_document.vocab.json" tokens)" -lt "$tokens" ] || fail "SentencePiece should need fewer tokens than bytes"

# JSONL with --json-keys and --tokenizer-model: Megatron's naming PREFIX_<key>_document.
python3 -c 'import json, sys
docs = open(sys.argv[1], encoding="utf-8").read().split("\n\n")
for d in [d for d in docs if d.strip()][:200]: print(json.dumps({"body": d, "id": 1}))' "$text" >"$work/in.jsonl"
run "$trn" data --input "$work/in.jsonl" --output-prefix "$work/js" --json-keys body --tokenizer-model "$work/tok.model"
[ "$rc" = 0 ] || fail "JSONL: exit $rc: $out"
[ -s "$work/js_body_document.bin" ] || fail "JSONL: no $work/js_body_document.bin: $out"
expect_contains "$out" ": 200 documents" "JSONL: one document per line"

# bad_input WHAT EXPECTED ARGS...: exit 2, exactly one error line containing EXPECTED, no dataset left.
bad_input() {
  local what=$1 expected=$2; shift 2
  run "$trn" data --output-prefix "$work/bad" "$@"
  [ "$rc" = 2 ] || fail "$what: expected exit 2, got $rc: $out"
  expect_contains "$out" "trn-train: error: $expected" "$what"
  [ "$(grep -c 'error:' <<<"$out")" = 1 ] || fail "$what: more than one error: $out"
  ! ls "$work"/bad* >/dev/null 2>&1 || fail "$what: left files: $(ls "$work"/bad*)"
}
: >"$work/empty.txt"
bad_input "empty input" "--input = $work/empty.txt: is empty" --input "$work/empty.txt" --tokenizer byte
{ head -5 "$text"; printf 'caf\xe9 au lait\n'; } >"$work/latin1.txt"
bad_input "non-UTF-8 line" "$work/latin1.txt:6 = not UTF-8: " --input "$work/latin1.txt" --tokenizer byte
bad_input "not a SentencePiece model" "--tokenizer-model = $text: not a SentencePiece model" \
  --input "$text" --tokenizer-model "$text"
bad_input "missing --input" "--input = (unset): " --tokenizer byte
bad_input "no tokenizer" "--tokenizer-model = (unset): give exactly one of" --input "$text"
bad_input "input that does not exist" "--input = $work/none.txt: No such file" --input "$work/none.txt" --tokenizer byte
# Inputs that are no regular files: refused at once (a FIFO without a writer would
# block the open forever; /dev/zero would be read until memory runs out).
mkfifo "$work/fifo"
bad_input "FIFO as --input" "--input = $work/fifo: not a regular file" --input "$work/fifo" --tokenizer byte
bad_input "FIFO as --tokenizer-model" "--tokenizer-model = $work/fifo: not a regular file" \
  --input "$text" --tokenizer-model "$work/fifo"
bad_input "/dev/zero as --tokenizer-model" "--tokenizer-model = /dev/zero: not a regular file" \
  --input "$text" --tokenizer-model /dev/zero
bad_input "folder as --tokenizer-model" "--tokenizer-model = $work: not a regular file" \
  --input "$text" --tokenizer-model "$work"
bad_input "--workers past the thread limit" "--workers = 1000000: must be from 1 to 1024" \
  --input "$text" --tokenizer byte --workers 1000000
bad_input "--vocab-size near INT_MAX" "--vocab-size = 2147483647: must be from 1 to 1000000" \
  --input "$text" --train-tokenizer --vocab-size 2147483647 --model-prefix "$work/bad"

# Outputs that are the inputs (by name, hard link or symbolic link): refused, input intact.
same_in() {
  local what=$1 in=$2 expected=$3; shift 3
  cp "$text" "$in"
  run "$trn" data --input "$in" "$@"
  [ "$rc" = 2 ] || fail "$what: expected exit 2, got $rc: $out"
  expect_contains "$out" "trn-train: error: $expected" "$what"
  cmp -s "$text" "$in" || fail "$what: the input was replaced"
}
same_in "--output-prefix naming the input" "$work/same_text_document.bin" \
  "--output-prefix = $work/same_text_document.bin: is the file --input names" \
  --output-prefix "$work/same" --tokenizer byte
cp "$text" "$work/in2.txt" && ln -s "$work/in2.txt" "$work/link_text_document.idx"
same_in "an output linked to the input" "$work/in2.txt" "--output-prefix = $work/link_text_document.idx: is the file" \
  --output-prefix "$work/link" --tokenizer byte
same_in "--model-prefix naming the input" "$work/m.model" "--model-prefix = $work/m.model: is the file --input names" \
  --output-prefix "$work/m" --train-tokenizer --vocab-size 300 --model-prefix "$work/m"
rm -f "$work"/same* "$work"/link* "$work"/in2.txt "$work"/m.model

# A kill between publishing the .bin and the .idx (strace stops the run at its second
# rename, the .idx's): no .idx (or sidecar) of the run before is left next to the new .bin.
if command -v strace >/dev/null && strace -o /dev/null true 2>/dev/null; then
  head -c 20000 "$text" >"$work/small.txt"
  run "$trn" data --input "$work/small.txt" --output-prefix "$work/pair" --tokenizer byte --workers 1
  [ "$rc" = 0 ] || fail "pair: exit $rc: $out"
  run strace -f -o /dev/null -e trace=rename,renameat,renameat2 -e inject=rename,renameat,renameat2:signal=KILL:when=2 \
    "$trn" data --input "$text" --output-prefix "$work/pair" --tokenizer byte --workers 1
  [ "$(stat -c %s "$work/pair_text_document.bin")" = $((2 * tokens)) ] || fail "pair: the new .bin was not published"
  [ ! -e "$work/pair_text_document.idx" ] || fail "pair: a new .bin next to the old .idx"
  [ ! -e "$work/pair_text_document.vocab.json" ] || fail "pair: a new .bin next to the old sidecar"
  rm -f "$work"/pair*
else
  echo "note: strace cannot trace here; the kill between .bin and .idx is not tried"
fi
echo "ok"
