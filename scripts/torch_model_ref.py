#!/usr/bin/python3
"""Independent reference for attnviz's model package.

Reads a Llama GGUF file with its OWN minimal reader (no code shared with the
Go package), tokenizes a prompt the llama2.c way, runs the forward pass in
PyTorch (float64) and writes model/testdata/ref_stories260K.json with the
token ids, logits [T, V], attention weights [L, H, T, T] and a greedy
continuation from BOS. The Go test (TestAgainstTorchReference in
model/model_test.go) compares within 1e-4.

Usage (from the repo root; needs Debian's python3-torch and python3-numpy):
    /usr/bin/python3 scripts/torch_model_ref.py [MODEL.gguf] [OUT.json]
"""
import json
import math
import struct
import sys

import numpy as np
import torch

MODEL = sys.argv[1] if len(sys.argv) > 1 else "../shared/models/stories260Ktok512.gguf"
OUT = sys.argv[2] if len(sys.argv) > 2 else "model/testdata/ref_stories260K.json"
PROMPT = "Once upon a time, there was a little girl named Lily. She loved to play"
GEN_TOKENS = 60
# extra texts whose tokenization (byte fallback, spaces, merges) is checked
TOKENIZE = ["", "  two spaces", "naïve café — “quotes” 🙂\tand\nnewlines", "Tim and Sue's big red ball!"]


# --- GGUF (v2/v3), the parts this model needs ----------------------------------
class Reader:
    def __init__(self, b):
        self.b, self.o = b, 0

    def take(self, fmt):
        v = struct.unpack_from("<" + fmt, self.b, self.o)
        self.o += struct.calcsize("<" + fmt)
        return v[0]

    def string(self):
        n = self.take("Q")
        s = self.b[self.o:self.o + n].decode("utf-8")
        self.o += n
        return s


SCALAR = {0: "B", 1: "b", 2: "H", 3: "h", 4: "I", 5: "i", 6: "f", 7: "?", 10: "Q", 11: "q", 12: "d"}


def value(r, t):
    if t in SCALAR:
        return r.take(SCALAR[t])
    if t == 8:
        return r.string()
    if t == 9:
        et, n = r.take("I"), r.take("Q")
        return [value(r, et) for _ in range(n)]
    raise ValueError("bad gguf value type %d" % t)


def read_gguf(path):
    b = open(path, "rb").read()
    r = Reader(b)
    assert b[:4] == b"GGUF", "not a GGUF file"
    r.o = 4
    version = r.take("I")
    assert version in (2, 3), version
    n_tensors, n_kv = r.take("Q"), r.take("Q")
    meta = {}
    for _ in range(n_kv):
        k = r.string()
        meta[k] = value(r, r.take("I"))
    infos = []
    for _ in range(n_tensors):
        name = r.string()
        nd = r.take("I")
        dims = [r.take("Q") for _ in range(nd)]
        typ, off = r.take("I"), r.take("Q")
        infos.append((name, dims, typ, off))
    align = meta.get("general.alignment", 32)
    start = (r.o + align - 1) // align * align
    tensors = {}
    for name, dims, typ, off in infos:
        n = int(np.prod(dims))
        shape = list(reversed(dims))  # dims[0] varies fastest
        if typ == 0:
            a = np.frombuffer(b, dtype="<f4", count=n, offset=start + off)
        elif typ == 1:
            a = np.frombuffer(b, dtype="<f2", count=n, offset=start + off).astype(np.float32)
        else:
            raise ValueError("tensor %s has unsupported ggml type %d" % (name, typ))
        tensors[name] = torch.from_numpy(a.reshape(shape).astype(np.float64))
    return meta, tensors


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


# --- forward pass ----------------------------------------------------------------
def rope(x, base):
    # x [H, T, d]; interleaved pairs (2i, 2i+1) as llama2.c and GGUF
    H, T, d = x.shape
    i = torch.arange(0, d, 2, dtype=torch.float64)
    theta = base ** (-i / d)
    ang = torch.arange(T, dtype=torch.float64)[:, None] * theta[None, :]
    c, s = torch.cos(ang), torch.sin(ang)
    x0, x1 = x[..., 0::2], x[..., 1::2]
    out = torch.empty_like(x)
    out[..., 0::2] = x0 * c - x1 * s
    out[..., 1::2] = x0 * s + x1 * c
    return out


def rmsnorm(x, w, eps):
    return x / torch.sqrt((x * x).mean(-1, keepdim=True) + eps) * w


def forward(meta, W, ids):
    L = meta["llama.block_count"]
    D = meta["llama.embedding_length"]
    H = meta["llama.attention.head_count"]
    Hkv = meta.get("llama.attention.head_count_kv", H)
    eps = meta.get("llama.attention.layer_norm_rms_epsilon", 1e-5)
    base = meta.get("llama.rope.freq_base", 10000.0)
    d = D // H
    T = len(ids)
    x = W["token_embd.weight"][ids]
    causal = torch.tril(torch.ones(T, T, dtype=torch.bool))
    atts = []
    for l in range(L):
        p = "blk.%d." % l
        h = rmsnorm(x, W[p + "attn_norm.weight"], eps)
        q = (h @ W[p + "attn_q.weight"].T).view(T, H, d).transpose(0, 1)
        k = (h @ W[p + "attn_k.weight"].T).view(T, Hkv, d).transpose(0, 1)
        v = (h @ W[p + "attn_v.weight"].T).view(T, Hkv, d).transpose(0, 1)
        q, k = rope(q, base), rope(k, base)
        k = k.repeat_interleave(H // Hkv, dim=0)
        v = v.repeat_interleave(H // Hkv, dim=0)
        s = (q @ k.transpose(1, 2)) / math.sqrt(d)
        s = s.masked_fill(~causal, float("-inf"))
        a = torch.softmax(s, dim=-1)
        atts.append(a)
        o = (a @ v).transpose(0, 1).reshape(T, D)
        x = x + o @ W[p + "attn_output.weight"].T
        h = rmsnorm(x, W[p + "ffn_norm.weight"], eps)
        g = torch.nn.functional.silu(h @ W[p + "ffn_gate.weight"].T)
        x = x + (g * (h @ W[p + "ffn_up.weight"].T)) @ W[p + "ffn_down.weight"].T
    x = rmsnorm(x, W["output_norm.weight"], eps)
    out = W.get("output.weight", W["token_embd.weight"])
    return x @ out.T, torch.stack(atts)


def main():
    meta, W = read_gguf(MODEL)
    ids = encode(meta, PROMPT)
    logits, att = forward(meta, W, ids)
    gen = [meta["tokenizer.ggml.bos_token_id"]]
    for _ in range(GEN_TOKENS):
        lg, _ = forward(meta, W, gen)
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
