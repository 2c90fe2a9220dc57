#!/usr/bin/python3
"""attnviz's model forward pass beside the same forward pass in PyTorch CPU.

    /usr/bin/python3 scripts/bench_model.py --go-test BIN [MODEL.gguf]   (BIN: go test -c ./model/)

Without MODEL.gguf it runs the lesson model where the Go side finds it (benchlib.lesson_model):
$ATTNVIZ_MODEL, else the cache folder model.CacheDir() (~/.cache/attnviz/models on Linux, where
`make model` puts it), else models/ or ../shared/models/ of this checkout. `attnviz model -where`
prints the same file.

The row: stories260K (5 layers, 8 query heads, 4 key/value heads, d 64),
128 tokens, forward pass + attention capture — Go's BenchmarkForward128
(Model.RunIDs: logits, every layer's weights [5, 8, 128, 128], Q, K, V)
against a float32 PyTorch forward of the same weights (read by the
reference scripts' own GGUF reader, reflib.py) that also returns the
logits, the stacked weights and each layer's q, k, v. The token ids differ (Go's are a
tokenized story, torch's random ones of the vocabulary): the work does not
depend on them. Go's allocations per forward (-benchmem) are printed too.

Same protocol as every peer script (scripts/benchlib.py): OpenBLAS
variables unset for this process only, sides alternating, the first round
discarded, median and min, ratio from the medians; each side on the faster
of 1 thread and all cores (GOMAXPROCS / torch threads, chosen on the
warm-up round and printed), CPU time per forward beside.
"""
import argparse
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402

benchlib.unset_openblas_vars()

import torch  # noqa: E402
import reflib  # noqa: E402  (the reference scripts' GGUF reader)


class Llama:
    def __init__(self, path):
        meta, W, _ = reflib.read_gguf(path)
        self.W = {k: v.float().contiguous() for k, v in W.items()}
        self.L = meta["llama.block_count"]
        self.D = meta["llama.embedding_length"]
        self.H = meta["llama.attention.head_count"]
        self.Hkv = meta.get("llama.attention.head_count_kv", self.H)
        self.eps = meta.get("llama.attention.layer_norm_rms_epsilon", 1e-5)
        self.base = meta.get("llama.rope.freq_base", 10000.0)
        self.vocab = self.W["token_embd.weight"].shape[0]
        # Linear weights transposed once, as attnviz packs them once.
        self.T = {k: v.t().contiguous() for k, v in self.W.items() if v.dim() == 2}
        self.tables = {}

    def rope_table(self, T, d):
        # cos/sin per position and pair, made once per length (attnviz keeps them too)
        if (T, d) not in self.tables:
            i = torch.arange(0, d, 2, dtype=torch.float64)
            ang = torch.arange(T, dtype=torch.float64)[:, None] * (self.base ** (-i / d))[None, :]
            self.tables[(T, d)] = (torch.cos(ang).float(), torch.sin(ang).float())
        return self.tables[(T, d)]

    def rope(self, x):
        H, T, d = x.shape
        c, s = self.rope_table(T, d)
        return reflib.rotate(x, c, s)

    def rmsnorm(self, x, w):
        return x * torch.rsqrt((x * x).mean(-1, keepdim=True) + self.eps) * w

    def forward(self, ids):
        W, Wt = self.W, self.T
        H, Hkv, D = self.H, self.Hkv, self.D
        d = D // H
        T = len(ids)
        x = W["token_embd.weight"][ids]
        causal = torch.ones(T, T, dtype=torch.bool).tril()
        atts, qs, ks, vs = [], [], [], []
        for l in range(self.L):
            p = "blk.%d." % l
            h = self.rmsnorm(x, W[p + "attn_norm.weight"])
            q = (h @ Wt[p + "attn_q.weight"]).view(T, H, d).transpose(0, 1)
            k = (h @ Wt[p + "attn_k.weight"]).view(T, Hkv, d).transpose(0, 1)
            v = (h @ Wt[p + "attn_v.weight"]).view(T, Hkv, d).transpose(0, 1)
            q, k = self.rope(q), self.rope(k)
            kr = k.repeat_interleave(H // Hkv, dim=0)
            vr = v.repeat_interleave(H // Hkv, dim=0)
            s = (q @ kr.transpose(1, 2)) / math.sqrt(d)
            a = torch.softmax(s.masked_fill(~causal, float("-inf")), dim=-1)
            atts.append(a)
            qs.append(q), ks.append(k), vs.append(v)
            o = (a @ vr).transpose(0, 1).reshape(T, D)
            x = x + o @ Wt[p + "attn_output.weight"]
            h = self.rmsnorm(x, W[p + "ffn_norm.weight"])
            g = torch.nn.functional.silu(h @ Wt[p + "ffn_gate.weight"])
            x = x + (g * (h @ Wt[p + "ffn_up.weight"])) @ Wt[p + "ffn_down.weight"]
        h = self.rmsnorm(x, W["output_norm.weight"])
        out = Wt.get("output.weight", Wt["token_embd.weight"])
        return h @ out, torch.stack(atts), qs, ks, vs, x


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("model", nargs="?", help="the GGUF file (default: the lesson model, found as `attnviz model -where` finds it: "
                    "$ATTNVIZ_MODEL, the cache folder model.CacheDir() that `make model` fills, models/, ../shared/models/)")
    ap.add_argument("--go-test", required=True, help="a `go test -c` binary of ./model")
    ap.add_argument("--rounds", type=int, default=6)
    ap.add_argument("--tokens", type=int, default=128)
    a = ap.parse_args()
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    path = a.model or benchlib.lesson_model(root)
    m = Llama(path)
    g = torch.Generator().manual_seed(0)
    ids = torch.randint(1, m.vocab, (a.tokens,), generator=g)
    binary = os.path.abspath(a.go_test)

    def peer_with(n):
        with torch.no_grad():
            torch.set_num_threads(n)
            m.forward(ids)
            return benchlib.peer_sample(lambda: m.forward(ids), 0.5, with_cpu=True)

    row = benchlib.Row(f"stories260K forward + attention capture, {a.tokens} tokens",
                       benchlib.go_threads(binary, "BenchmarkForward128", "200x", cwd=os.path.join(root, "model")),
                       benchlib.Threads(peer_with))
    print(f"# torch {torch.__version__}; {benchlib.openblas_info()}")
    print(f"# model {path}; {benchlib.machine_load()}; {a.rounds} rounds, the first discarded", flush=True)
    benchlib.measure([row], rounds=a.rounds)
    row.note = "goal: attnviz ≤ 3 ms per forward"
    benchlib.table([row], ours="attnviz", peer="torch CPU")
    import statistics
    med = statistics.median(row.o)
    print(f"goal: ≤ 3 ms per forward: {med:.2f} ms {'ok' if med <= 3 else 'MISSED'}; "
          f"allocations per forward: {row.metrics.get('B/op', 0) / 1e6:.2f} MB in {row.metrics.get('allocs/op', 0):.0f} allocations "
          f"(the record itself: attention {m.L}×{m.H}×{a.tokens}² floats = {m.L * m.H * a.tokens**2 * 4 / 1e6:.2f} MB)")
    print(f"# {benchlib.machine_load()} (after)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
