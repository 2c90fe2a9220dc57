#!/usr/bin/env python3
"""Makes notebooks/data/example.safetensors, the PyTorch model lesson 5 explores.

A tiny causal transformer (2 layers, 2 heads of size 4, random weights with a fixed seed) reads
an 8-word sentence. We keep what lesson 5 looks at, saved with scripts/attnviz_export.py's
save_attention (the exporter the lesson teaches), in the layout `attnviz render` and
model.Record.SaveSafetensors use:

    attention   [layers, heads, T, T] float32   softmax weights, rows = queries
    layer0.q    [heads, T, 4]                   layer 0's queries, keys and values,
    layer0.k    [heads, T, 4]                   so the lesson can recompute layer 0's
    layer0.v    [heads, T, 4]                   attention in Go and compare
    metadata    tokens (JSON list), model, layout

Run with Debian's python3-torch (apt-get install -y python3-torch):

    /usr/bin/python3 notebooks/data/make_example.py

It prints the numbers lesson 5's cells check. The output is committed; tests never need torch.
"""
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts"))
from attnviz_export import save_attention  # noqa: E402  (the exporter lesson 5 teaches)

HERE = os.path.dirname(os.path.abspath(__file__))
TOKENS = ["the", "cat", "sat", "on", "the", "mat", "and", "slept"]
D, H, L = 8, 2, 2
DH = D // H


class Layer(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.qkv = torch.nn.Linear(D, 3 * D, bias=False)
        self.out = torch.nn.Linear(D, D, bias=False)
        self.mlp = torch.nn.Sequential(torch.nn.Linear(D, 2 * D), torch.nn.GELU(), torch.nn.Linear(2 * D, D))
        self.n1, self.n2 = torch.nn.LayerNorm(D), torch.nn.LayerNorm(D)

    def forward(self, x):
        T = x.shape[0]
        q, k, v = self.qkv(self.n1(x)).split(D, dim=-1)
        q, k, v = (t.view(T, H, DH).transpose(0, 1) for t in (q, k, v))  # [H, T, DH]
        scores = q @ k.transpose(-1, -2) / DH ** 0.5
        causal = torch.ones(T, T, dtype=torch.bool).tril()
        w = scores.masked_fill(~causal, float("-inf")).softmax(-1)
        x = x + self.out((w @ v).transpose(0, 1).reshape(T, D))
        x = x + self.mlp(self.n2(x))
        return x, w, (q, k, v)


def main():
    torch.manual_seed(0)
    embed = torch.nn.Embedding(len(set(TOKENS)), D)
    vocab = {w: i for i, w in enumerate(dict.fromkeys(TOKENS))}
    pos = torch.nn.Embedding(len(TOKENS), D)
    layers = [Layer() for _ in range(L)]
    with torch.no_grad():
        ids = torch.tensor([vocab[w] for w in TOKENS])
        x = embed(ids) + pos(torch.arange(len(TOKENS)))
        atts, qkv0 = [], None
        for i, layer in enumerate(layers):
            x, w, qkv = layer(x)
            atts.append(w)
            if i == 0:
                qkv0 = qkv
        attention = torch.stack(atts)  # [L, H, T, T]
    path = os.path.join(HERE, "example.safetensors")
    save_attention(path, attention, TOKENS, extra={"layer0.q": qkv0[0], "layer0.k": qkv0[1], "layer0.v": qkv0[2]},
                   metadata={"model": "lesson 5 toy transformer (torch.manual_seed(0))"})
    print("wrote", os.path.relpath(path), os.path.getsize(path), "bytes")
    print("attention shape", list(attention.shape))
    print("attention[1, 0, 7] =", " ".join(f"{v:.4f}" for v in attention[1, 0, 7].tolist()))
    most = attention[1, 0, 7].argmax().item()
    print(f"layer 1 head 0: 'slept' attends most to {TOKENS[most]!r} ({attention[1, 0, 7, most]:.4f})")


if __name__ == "__main__":
    main()
