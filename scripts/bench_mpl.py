#!/usr/bin/python3
"""matplotlib peer for attnviz's static-figure benchmarks.

Draws the figures viz/bench_test.go draws, in the same process style (PNG
bytes in memory, Agg back end), and prints the time of each in ms:

  heatmap128       imshow + colour bar, n=128, default ticks
  heatmap128-toks  the same with every token labelled (as attnviz labels them)
  heatmap1024      imshow + colour bar, n=1024
  grid12x12        12 layers x 12 heads of 64x64 as subplots

With --go-test BIN (`go test -c ./viz`) it runs each figure's Go benchmark
and the matplotlib figure alternately, in the protocol of every peer script
(scripts/benchlib.py: OpenBLAS variables unset for this process only, sides
alternating, the first round discarded, median and min, ratio from the
medians) and prints the table with the speed-up matplotlib / attnviz.
Usage: /usr/bin/python3 scripts/bench_mpl.py --go-test BIN [--rounds N]
"""
import argparse
import io
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402

benchlib.unset_openblas_vars()

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

WORDS = ("The cat sat on the mat because it was tired . Then the dog came in , "
         "saw the cat and sat down next to it").split()


def tokens(n):
    return [WORDS[i % len(WORDS)] for i in range(n)]


def attention(n, seed=1):
    rng = np.random.default_rng(seed)
    s = rng.random((n, n)) * 0.8
    s[np.arange(1, n), np.arange(n - 1)] += 4
    s[np.triu_indices(n, 1)] = -np.inf
    s = np.exp(s - s.max(axis=1, keepdims=True))
    return (s / s.sum(axis=1, keepdims=True)).astype(np.float32)


def heatmap(w, toks=None):
    fig, ax = plt.subplots()
    im = ax.imshow(w, cmap="viridis", vmin=0)
    if toks is not None:
        ax.set_xticks(range(len(toks)))
        ax.set_xticklabels(toks, rotation=90)
        ax.set_yticks(range(len(toks)))
        ax.set_yticklabels(toks)
    ax.set_xlabel("key")
    ax.set_ylabel("query")
    ax.set_title("Attention weights")
    fig.colorbar(im, ax=ax, label="weight")
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()


def grid(att):
    L, H = att.shape[:2]
    fig, axes = plt.subplots(L, H, figsize=(12, 12))
    for l in range(L):
        for h in range(H):
            ax = axes[l][h]
            ax.imshow(att[l, h], cmap="viridis", vmin=0)
            ax.set_xticks([])
            ax.set_yticks([])
            if l == 0:
                ax.set_title(f"H{h}", fontsize=8)
            if h == 0:
                ax.set_ylabel(f"L{l}", fontsize=8)
    fig.suptitle("Attention by layer and head")
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--go-test", required=True, help="a `go test -c` binary of ./viz")
    ap.add_argument("--rounds", type=int, default=6, help="rounds per figure, the first a discarded warm-up")
    ap.add_argument("--strict", action="store_true", help="exit 1 when a goal is missed (default: print MISSED, exit 0, so `make bench` goes on)")
    a = ap.parse_args()
    w128, w1024 = attention(128), attention(1024)
    att = np.stack([np.stack([attention(64, seed=l * 12 + h + 1) for h in range(12)]) for l in range(12)])
    binary = os.path.abspath(a.go_test)
    cwd = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "viz")

    def go(bench):
        return lambda: benchlib.go_sample(binary, bench, "10x", cwd=cwd)

    def mpl(fn, budget=0.5):
        return lambda: benchlib.peer_sample(fn, budget, min_iters=2, with_cpu=True)

    rows = [
        benchlib.Row("heatmap 128², PNG", go("BenchmarkHeatmap128"), mpl(lambda: heatmap(w128)), speedup_goal=10),
        benchlib.Row("heatmap 128², every token labelled (attnviz labels them)", go("BenchmarkHeatmap128"),
                     mpl(lambda: heatmap(w128, tokens(128))), speedup_goal=10),
        benchlib.Row("heatmap 1024², PNG", go("BenchmarkHeatmap1024"), mpl(lambda: heatmap(w1024)), speedup_goal=10),
        benchlib.Row("grid 12×12 of 64², PNG", go("BenchmarkGrid12x12"), mpl(lambda: grid(att), 1.0), speedup_goal=30),
    ]
    print(f"# matplotlib {matplotlib.__version__} (Agg, PNG bytes in memory); {benchlib.openblas_info()}")
    print(f"# {benchlib.machine_load()}; {a.rounds} rounds per figure, the first discarded", flush=True)
    benchlib.measure(rows, rounds=a.rounds)
    ok = benchlib.table(rows, ours="attnviz", peer="matplotlib")
    print(f"# {benchlib.machine_load()} (after)")
    return 0 if ok or not a.strict else 1


if __name__ == "__main__":
    sys.exit(main())
