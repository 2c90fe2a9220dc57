#!/usr/bin/python3
"""Independent reference for attnviz's forward passes of llama, qwen2, gpt2 and bert.

Reads the random-weight test models that model/archfiles_test.go writes
(`go test ./model -run TestWriteArchModels -args -write-arch-models DIR`)
with its OWN GGUF reader (F32, F16 and the ggml block types; reflib.py),
tokenizes each prompt with its OWN tokenizers (byte-level BPE with the
gpt-2, llama-bpe and qwen2 pre-tokenizers; BERT WordPiece in llama.cpp's
phantom-space form), runs each architecture's forward pass in PyTorch
float64 as llama.cpp's graphs do (src/models/*.cpp; reflib.py) and writes
model/testdata/ref_arch.json: per model its sha256 and per prompt the ids,
the attention [L, H, T, T] and the last position's logits (bert: hidden
state). TestArchAgainstTorch compares within 1e-4.

Usage (from the repo root; Debian's python3-torch and python3-numpy):
    /usr/bin/python3 scripts/torch_arch_ref.py DIR [OUT.json]
or `make model-arch-ref`, which writes the models first.
"""
import json
import os
import re
import sys
import unicodedata

import torch

from reflib import forward, gpt2_bytes, read_gguf

torch.set_default_dtype(torch.float64)


# --- tokenizers -----------------------------------------------------------------
L_ = r"[^\W\d_]"          # a letter (\p{L})
N_ = r"\d"                 # a number (\p{N}, decimal digits)
OTHER = r"(?:[^\s\w]|_)"   # neither space, letter nor number
OTHER_NL = r"(?:[^\r\n\w]|_)"
PRE = {
    "gpt-2": r"'s|'t|'re|'ve|'m|'ll|'d| ?%s+| ?%s+| ?%s+|\s+(?!\S)|\s+" % (L_, N_, OTHER),
    "llama-bpe": r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|%s?%s+|%s{1,3}| ?%s+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+" % (OTHER_NL, L_, N_, OTHER),
    "qwen2": r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|%s?%s+|%s| ?%s+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+" % (OTHER_NL, L_, N_, OTHER),
}


class BPE:
    def __init__(self, meta):
        self.tokens = meta["tokenizer.ggml.tokens"]
        self.id = {t: i for i, t in enumerate(self.tokens)}
        self.rank = {tuple(m.split(" ", 1)): i for i, m in enumerate(meta["tokenizer.ggml.merges"])}
        self.pre = meta["tokenizer.ggml.pre"]
        self.re = re.compile(PRE[self.pre])
        self.bc = dict(zip(*gpt2_bytes()))
        self.bos = meta.get("tokenizer.ggml.bos_token_id")
        self.add_bos = meta.get("tokenizer.ggml.add_bos_token", False)

    def word(self, w):
        sym = [self.bc[x] for x in w.encode("utf-8")]
        if self.pre == "llama-bpe" and "".join(sym) in self.id:  # llama.cpp: ignore_merges
            return [self.id["".join(sym)]]
        while len(sym) > 1:
            best = min(range(len(sym) - 1), key=lambda i: self.rank.get((sym[i], sym[i + 1]), 1 << 30))
            if (sym[best], sym[best + 1]) not in self.rank:
                break
            sym[best:best + 2] = [sym[best] + sym[best + 1]]
        return [self.id[s] for s in sym]

    def encode(self, text):
        ids = [self.bos] if self.add_bos else []
        for w in self.re.findall(text):
            ids += self.word(w)
        return ids

    def piece(self, i):
        return self.tokens[i]


class WordPiece:
    def __init__(self, meta):
        self.tokens = meta["tokenizer.ggml.tokens"]
        self.id = {t: i for i, t in enumerate(self.tokens)}
        self.cls = meta["tokenizer.ggml.cls_token_id"]
        self.sep = meta["tokenizer.ggml.seperator_token_id"]
        self.unk = meta["tokenizer.ggml.unknown_token_id"]

    def words(self, text):
        text = "".join(c for c in unicodedata.normalize("NFD", text.lower()) if unicodedata.category(c) != "Mn")
        out = []
        for w in text.split():
            cur = ""
            for c in w:
                if unicodedata.category(c).startswith("P") or (ord(c) < 0x7F and unicodedata.category(c).startswith("S")):
                    if cur:
                        out.append(cur)
                    out.append(c)
                    cur = ""
                else:
                    cur += c
            if cur:
                out.append(cur)
        return out

    def word(self, w):
        ids, start = [], 0
        while start < len(w):
            end = len(w)
            while end > start:
                piece = ("\u2581" if start == 0 else "") + w[start:end]
                if piece in self.id:
                    ids.append(self.id[piece])
                    break
                end -= 1
            if end == start:
                return [self.unk]
            start = end
        return ids

    def encode_bare(self, text):
        ids = []
        for w in self.words(text):
            ids += self.word(w)
        return ids

    def encode(self, text):
        return [self.cls] + self.encode_bare(text) + [self.sep]

    def encode_pair(self, a, b):
        first = [self.cls] + self.encode_bare(a) + [self.sep]
        second = self.encode_bare(b) + [self.sep]
        return first + second, [0] * len(first) + [1] * len(second)


def case(meta, W, ids, types=None, **extra):
    logits, hidden, att = forward(meta, W, ids, types)
    c = dict(extra)
    c.update({
        "ids": ids,
        "attention_shape": list(att.shape),
        "attention": [round(float(v), 9) for v in att.flatten()],
        "hidden_last": [round(float(v), 8) for v in hidden[-1]],
    })
    if types is not None:
        c["types"] = types
    if logits is not None:
        c["logits_last"] = [round(float(v), 8) for v in logits[-1]]
    return c


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    d = sys.argv[1]
    out = sys.argv[2] if len(sys.argv) > 2 else "model/testdata/ref_arch.json"
    models = []
    for line in open(os.path.join(d, "index.tsv"), encoding="utf-8"):
        name, digest, prompts, pairs = line.rstrip("\n").split("\t")
        meta, W, sha = read_gguf(os.path.join(d, name + ".gguf"))
        assert sha == digest, name
        tok = WordPiece(meta) if meta["tokenizer.ggml.model"] == "bert" else BPE(meta)
        cases = [case(meta, W, tok.encode(p), prompt=p) for p in prompts.split("\x1f") if p]
        for pr in (pairs.split("\x1f") if pairs else []):
            a, b = pr.split("\x1e")
            ids, types = tok.encode_pair(a, b)
            cases.append(case(meta, W, ids, types, pair=[a, b]))
        models.append({"name": name, "sha256": sha, "cases": cases})
        print("%-12s %s" % (name, "  ".join("%d tokens" % len(c["ids"]) for c in cases)))
    ref = {"source": "scripts/torch_arch_ref.py (own GGUF reader and tokenizers, torch %s, float64)" % torch.__version__,
           "models": models}
    with open(out, "w") as f:
        json.dump(ref, f, separators=(",", ":"))
        f.write("\n")
    print("wrote", out)


if __name__ == "__main__":
    main()
