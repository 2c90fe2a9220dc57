#!/usr/bin/python3
"""GPT-2 small, attnviz vs PyTorch on the CPU, in one run (`make bench-gpt2`).

A forward pass of a GPT-2-small-shaped model (12 layers, 768 wide, 12
heads, FFN 3072, vocabulary 50257, random weights, tied head) on 256
tokens, keeping every layer's and head's attention weights.
attnviz: model.RunIDs (Q, K, V, logits and the [12, 12, 256, 256] attention
kept), served by the Go test binary (TestGPT2BenchServer).
PyTorch: a straight GPT-2 in float32, torch.nn.MultiheadAttention with
need_weights=True, average_attn_weights=False, the weights stacked to
[12, 12, 256, 256] as well, under torch.no_grad().
Both sides use the same number of threads (GOMAXPROCS =
torch.set_num_threads = this machine's cores unless --threads), run one
warm-up pass each that is discarded, and then alternate pass by pass, so a
busy machine slows both alike; the medians are compared.

(The memory side — the peak RSS of loading a Q8_0 file of this shape — is
make bench-model-load, scripts/bench_load.sh.)

Run it with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset (make does), so
OpenBLAS picks its kernels for this CPU itself.

Usage: /usr/bin/python3 scripts/bench_gpt2.py --go-test BINARY [--rounds N] [--threads N]
(BINARY from `go test -c -o BINARY ./model`).
"""
import argparse
import os
import statistics
import subprocess
import time

import torch

L, D, H, F, V, CTX, T = 12, 768, 12, 3072, 50257, 1024, 256


class Block(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.ln1 = torch.nn.LayerNorm(D)
        self.attn = torch.nn.MultiheadAttention(D, H, bias=True, batch_first=True)
        self.ln2 = torch.nn.LayerNorm(D)
        self.fc = torch.nn.Linear(D, F)
        self.proj = torch.nn.Linear(F, D)

    def forward(self, x, mask):
        h = self.ln1(x)
        a, w = self.attn(h, h, h, attn_mask=mask, need_weights=True, average_attn_weights=False)
        x = x + a
        x = x + self.proj(torch.nn.functional.gelu(self.fc(self.ln2(x)), approximate="tanh"))
        return x, w


class GPT2(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.tok = torch.nn.Embedding(V, D)
        self.pos = torch.nn.Embedding(CTX, D)
        self.blocks = torch.nn.ModuleList(Block() for _ in range(L))
        self.lnf = torch.nn.LayerNorm(D)
        for p in self.parameters():
            if p.dim() == 2:
                torch.nn.init.normal_(p, std=0.02)

    def forward(self, ids):
        T_ = ids.shape[1]
        x = self.tok(ids) + self.pos(torch.arange(T_))
        mask = torch.ones(T_, T_, dtype=torch.bool).triu(1)  # True = may not attend
        atts = []
        for b in self.blocks:
            x, w = b(x, mask)
            atts.append(w[0])
        logits = self.lnf(x) @ self.tok.weight.T  # tied head
        return logits, torch.stack(atts)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--go-test", required=True, help="go test -c -o BINARY ./model")
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    args = ap.parse_args()
    for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        if k in os.environ:
            print("note: %s=%s is set; run with it unset to compare like make does" % (k, os.environ[k]))
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = GPT2().eval()
    ids = torch.randint(0, V, (1, T))

    env = dict(os.environ, GOMAXPROCS=str(args.threads))
    go = subprocess.Popen([args.go_test, "-test.run", "^TestGPT2BenchServer$", "-gpt2-bench-server"],
                          stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
    line = go.stdout.readline()
    if not line.startswith("ready"):
        raise SystemExit("the Go server did not start: %r" % line)

    def go_run():
        go.stdin.write("run\n")
        go.stdin.flush()
        out = go.stdout.readline().split()
        if len(out) != 2 or out[0] != "seconds":
            raise SystemExit("unexpected Go output %r" % out)
        return float(out[1])

    def torch_run():
        t0 = time.perf_counter()
        with torch.no_grad():
            logits, att = model(ids)
        el = time.perf_counter() - t0
        assert att.shape == (L, H, T, T)
        return el

    go_run(), torch_run()  # warm-up, discarded
    maps = open("/proc/self/maps").read().lower()
    blas = "OpenBLAS" if "openblas" in maps else "not OpenBLAS: the reference BLAS is ~10x slower; apt-get install libopenblas0-pthread"
    g, t = [], []
    for r in range(args.rounds):
        if r % 2 == 0:
            g.append(go_run())
            t.append(torch_run())
        else:
            t.append(torch_run())
            g.append(go_run())
    go.stdin.write("quit\n")
    go.stdin.close()
    go.wait()
    gm, tm = statistics.median(g), statistics.median(t)
    print("GPT-2 small forward + attention capture, %d tokens, %d threads, torch %s (BLAS: %s), %d alternating rounds"
          % (T, args.threads, torch.__version__, blas, args.rounds))
    print("  attnviz ms: " + " ".join("%.0f" % (x * 1e3) for x in g))
    print("  torch   ms: " + " ".join("%.0f" % (x * 1e3) for x in t))
    print("  median  attnviz %.0f ms   torch %.0f ms   attnviz/torch %.2f  (target ≤ 1.0)" % (gm * 1e3, tm * 1e3, gm / tm))


if __name__ == "__main__":
    main()
