#!/usr/bin/env python3
"""The Python peer of `trn-train data` for bench/data_bench.sh: the same input rules
(data/text_input.h: plain text, one document per blank-line-separated paragraph), the
same tokenizer (SentencePiece through python3-sentencepiece, or the byte tokenizer),
EOS after each document, and numpy writing Megatron's .bin/.idx (indexed_dataset.h), so
the two outputs must be byte-identical. Single-process, as a straightforward script is.

usage: data_peer.py INPUT OUTPUT_PREFIX (TOKENIZER.model | byte)
"""
import struct
import sys
import time

import numpy as np


def documents(data):
    """Paragraphs: runs of non-blank lines, newlines inside kept, the last one not."""
    doc = []
    for line in data.split(b"\n"):
        if line.strip(b" \t\r"):
            doc.append(line)
        elif doc:
            yield b"\n".join(doc)
            doc = []
    if doc:
        yield b"\n".join(doc)


def main():
    path, prefix, tok = sys.argv[1:4]
    t0 = time.monotonic()
    with open(path, "rb") as f:
        data = f.read()
    if tok == "byte":
        vocab, eos = 257, 256
        encode = lambda b: np.frombuffer(b, dtype=np.uint8)
    else:
        import sentencepiece as spm
        sp = spm.SentencePieceProcessor(model_file=tok)
        vocab, eos = sp.get_piece_size(), sp.eos_id()
        encode = lambda b: sp.encode(b.decode("utf-8"))
    dtype, code = (np.uint16, 8) if vocab < 65500 else (np.int32, 4)
    sizes = []
    tokens = 0
    with open(prefix + ".bin", "wb") as out:
        for doc in documents(data):
            ids = np.append(np.asarray(encode(doc), dtype=np.int64), eos).astype(dtype)
            out.write(ids.tobytes())
            sizes.append(len(ids))
            tokens += len(ids)
    sizes = np.array(sizes, dtype=np.int32)
    pointers = np.zeros(len(sizes), dtype=np.int64)
    pointers[1:] = np.cumsum(sizes[:-1].astype(np.int64)) * np.dtype(dtype).itemsize
    with open(prefix + ".idx", "wb") as out:
        out.write(b"MMIDIDX\x00\x00")
        out.write(struct.pack("<Q", 1))
        out.write(struct.pack("<B", code))
        out.write(struct.pack("<Q", len(sizes)))
        out.write(struct.pack("<Q", len(sizes) + 1))
        out.write(sizes.tobytes())
        out.write(pointers.tobytes())
        out.write(np.arange(len(sizes) + 1, dtype=np.int64).tobytes())
    secs = time.monotonic() - t0
    print(f"python peer: {len(sizes)} documents, {tokens} tokens in {secs:.2f} s: "
          f"{len(data) / 1e6 / secs:.1f} MB/s, {tokens / secs:.0f} tokens/s")


if __name__ == "__main__":
    main()
