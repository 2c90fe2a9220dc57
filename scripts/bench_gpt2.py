#!/usr/bin/python3
"""GPT-2 small, attnviz vs PyTorch on the CPU (`make bench-gpt2`).

    /usr/bin/python3 scripts/bench_gpt2.py --go-test BIN [--rounds N] [--threads N]   (BIN: go test -c ./model/)

The row: a forward pass of a GPT-2-small-shaped model (12 layers, 768 wide,
12 heads, FFN 3072, vocabulary 50257, context 1024, random weights, tied
head) on 256 tokens, keeping every layer's and head's attention weights.
  attnviz: Model.RunIDs — the logits, the attention [12, 12, 256, 256], and
           each layer's Q, K, V — served by the Go test binary
           (TestGPT2BenchServer: the model is built once, then one timed
           pass per request);
  torch:   a straight GPT-2 in float32 under torch.no_grad():
           torch.nn.MultiheadAttention with need_weights=True,
           average_attn_weights=False and a causal mask, the weights stacked
           to [12, 12, 256, 256], the logits from the tied embedding.
Protocol of every peer script (scripts/benchlib.py): OpenBLAS variables
unset for this process only, sides alternating, the first round discarded,
median and min, ratio of medians, each side on the faster of 1 thread and
all cores (GOMAXPROCS / torch.set_num_threads, chosen on the warm-up round
and printed; --threads N fixes both), CPU time per pass beside; a sample is
the mean of two passes. Goal (issue #15): attnviz/torch ≤ 1.0.

The memory side — the peak RSS of loading a Q8_0 file of this shape — is
`make bench-model-load` (scripts/bench_load.sh).
"""
import argparse
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402

benchlib.unset_openblas_vars()

import torch  # noqa: E402

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
        n = ids.shape[1]
        x = self.tok(ids) + self.pos(torch.arange(n))
        mask = torch.ones(n, n, dtype=torch.bool).triu(1)  # True: may not attend
        atts = []
        for b in self.blocks:
            x, w = b(x, mask)
            atts.append(w[0])
        logits = self.lnf(x) @ self.tok.weight.T  # tied head
        return logits, torch.stack(atts)


class GoServer:
    """TestGPT2BenchServer: builds the model once, then times one pass per request."""

    def __init__(self, binary, threads):
        env = dict(os.environ, GOMAXPROCS=str(threads))
        self.p = subprocess.Popen([binary, "-test.run", "^TestGPT2BenchServer$", "-gpt2-bench-server"],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
        line = self.p.stdout.readline()
        if not line.startswith("ready"):
            raise SystemExit("bench_gpt2: the Go server did not start: %r" % line)

    def cpu_s(self):
        """The server process's CPU time (user + system, every thread), s."""
        with open(f"/proc/{self.p.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def sample(self, passes=2):
        total = 0.0
        c0 = self.cpu_s()
        for _ in range(passes):
            self.p.stdin.write("run\n")
            self.p.stdin.flush()
            out = self.p.stdout.readline().split()
            if len(out) != 2 or out[0] != "seconds":
                raise SystemExit("bench_gpt2: unexpected Go output %r" % out)
            total += float(out[1])
        return total / passes * 1e3, {"cpu-ns/op": (self.cpu_s() - c0) / passes * 1e9}

    def close(self):
        self.p.stdin.write("quit\n")
        self.p.stdin.close()
        self.p.wait()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--go-test", required=True, help="a `go test -c` binary of ./model")
    ap.add_argument("--rounds", type=int, default=6)
    ap.add_argument("--threads", type=int, default=0,
                    help="threads of both sides (torch and GOMAXPROCS); default: each side the faster of 1 and all cores")
    a = ap.parse_args()
    torch.manual_seed(0)
    model = GPT2().eval()
    ids = torch.randint(0, V, (1, T))
    counts = [a.threads] if a.threads else benchlib.cores()

    def peer():
        with torch.no_grad():
            logits, att = model(ids)
        assert att.shape == (L, H, T, T)

    def peer_with(n):
        torch.set_num_threads(n)
        peer()  # the first pass with n threads builds torch's caches
        return benchlib.peer_sample(peer, budget=0, min_iters=2, with_cpu=True)

    servers = {}

    def go_with(n):
        if n not in servers:
            servers[n] = GoServer(a.go_test, n)
            servers[n].sample(1)
        return servers[n].sample()

    print(f"# torch {torch.__version__}; threads {'/'.join(map(str, counts))} (torch and GOMAXPROCS); {benchlib.openblas_info()}")
    print(f"# {benchlib.machine_load()}; {a.rounds} rounds, the first discarded; a sample is the mean of 2 passes", flush=True)
    row = benchlib.Row(f"GPT-2 small forward + attention capture, {T} tokens", benchlib.Threads(go_with, counts),
                       benchlib.Threads(peer_with, counts), goal=1.0)
    try:
        benchlib.measure([row], rounds=a.rounds)
    finally:
        for g in servers.values():
            g.close()
    ok = benchlib.table([row], ours="attnviz", peer="torch CPU")
    print(f"# {benchlib.machine_load()} (after)")
    if not ok:
        print("# goal missed (on a loaded machine the ratio is noisy: rerun on a quiet one)")


if __name__ == "__main__":
    main()
