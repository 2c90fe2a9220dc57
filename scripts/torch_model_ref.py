#!/usr/bin/python3
"""Independent reference for attnviz's model package.

Reads a Llama GGUF file with its OWN reader (reflib.py: no code shared with
the Go package), tokenizes a prompt the llama2.c way, runs the forward pass
in PyTorch (float64, reflib.py's llama graph) and writes model/testdata/ref_stories260K.json with the
token ids, logits [T, V], attention weights [L, H, T, T] and a greedy
continuation from BOS. The Go test (TestAgainstTorchReference in
model/model_test.go) compares within 1e-4.

Usage (from the repo root; needs Debian's python3-torch and python3-numpy):
    /usr/bin/python3 scripts/torch_model_ref.py [MODEL.gguf] [OUT.json]
"""
import json
import sys

import torch

from reflib import forward, read_gguf

MODEL = sys.argv[1] if len(sys.argv) > 1 else "../shared/models/stories260Ktok512.gguf"
OUT = sys.argv[2] if len(sys.argv) > 2 else "model/testdata/ref_stories260K.json"
PROMPT = "Once upon a time, there was a little girl named Lily. She loved to play"
GEN_TOKENS = 60
# extra texts whose tokenization (byte fallback, spaces, merges) is checked
TOKENIZE = ["", "  two spaces", "naïve café — “quotes” 🙂\tand\nnewlines", "Tim and Sue's big red ball!"]


# --- tokenizer (llama2.c encode, SentencePiece pieces with U+2581) --------------
def encode(meta, text):
    toks = meta["tokenizer.ggml.tokens"]
    scores = meta["tokenizer.ggml.scores"]
    types = meta["tokenizer.ggml.token_type"]
    piece = {}
    byte = {}
    for i, (s, t) in enumerate(zip(toks, types)):
        if t == 6:
            byte[int(s[3:5], 16)] = i
        elif t not in (2, 3, 5):
            piece.setdefault(s, i)
    ids = [meta["tokenizer.ggml.bos_token_id"]]
    if not text:
        return ids
    text = "\u2581" + text.replace(" ", "\u2581")
    seq = []
    for ch in text:
        if ch in piece:
            seq.append(piece[ch])
        else:
            seq.extend(byte[x] for x in ch.encode("utf-8"))
    while True:
        best, at = None, -1
        for i in range(len(seq) - 1):
            j = piece.get(toks[seq[i]] + toks[seq[i + 1]])
            if j is not None and (best is None or scores[j] > scores[best]):
                best, at = j, i
        if best is None:
            break
        seq[at:at + 2] = [best]
    return ids + seq


def decode(meta, ids):
    toks, types = meta["tokenizer.ggml.tokens"], meta["tokenizer.ggml.token_type"]
    bos = meta["tokenizer.ggml.bos_token_id"]
    out = b""
    prev = None
    for i in ids:
        if types[i] == 3:
            pass
        elif types[i] == 6:
            out += bytes([int(toks[i][3:5], 16)])
        else:
            s = toks[i].replace("\u2581", " ")
            if prev == bos and s.startswith(" "):
                s = s[1:]
            out += s.encode("utf-8")
        prev = i
    return out.decode("utf-8", errors="replace")


def main():
    meta, W, _ = read_gguf(MODEL)
    ids = encode(meta, PROMPT)
    logits, _, att = forward(meta, W, ids)
    gen = [meta["tokenizer.ggml.bos_token_id"]]
    for _ in range(GEN_TOKENS):
        lg, _, _ = forward(meta, W, gen)
        nxt = int(torch.argmax(lg[-1]))
        if nxt in (meta["tokenizer.ggml.eos_token_id"], meta["tokenizer.ggml.bos_token_id"]):
            break
        gen.append(nxt)
    ref = {
        "source": "scripts/torch_model_ref.py (own GGUF reader, torch %s, float64)" % torch.__version__,
        "prompt": PROMPT,
        "ids": ids,
        "logits_shape": list(logits.shape),
        "logits": [round(float(v), 7) for v in logits.flatten()],
        "attention_shape": list(att.shape),
        "attention": [round(float(v), 8) for v in att.flatten()],
        "generate_ids": gen,
        "generate_text": decode(meta, gen),
        "tokenize": [{"text": t, "ids": encode(meta, t)} for t in TOKENIZE],
    }
    with open(OUT, "w") as f:
        json.dump(ref, f, separators=(",", ":"))
        f.write("\n")
    print("wrote %s: %d tokens, logits %s, attention %s" % (OUT, len(ids), ref["logits_shape"], ref["attention_shape"]))
    print("greedy from BOS:", repr(ref["generate_text"]))


if __name__ == "__main__":
    main()
