#!/usr/bin/python3
"""matplotlib peer for attnviz's static-figure benchmarks.

Draws the figures viz/bench_test.go draws, in the same process style (PNG
bytes in memory, Agg back end), and prints the time of each in ms:

  heatmap128       imshow + colour bar, n=128, default ticks
  heatmap128-toks  the same with every token labelled (as attnviz labels them)
  heatmap1024      imshow + colour bar, n=1024
  grid12x12        12 layers x 12 heads of 64x64 as subplots

With --go FILE (output of `go test -bench` for ./viz) it also prints the
ratio matplotlib / attnviz for each figure.
Usage: /usr/bin/python3 scripts/bench_mpl.py [--go FILE] [--repeat N]
"""
import argparse
import io
import re
import statistics
import sys
import time

import matplotlib

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


def timeit(fn, repeat):
    fn()  # warm up (font cache, imports)
    ts = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        ts.append((time.perf_counter() - t0) * 1000)
    return statistics.median(ts)


def go_results(path):
    """ms per op from `go test -bench` output (the median over -count runs),
    keyed by our names."""
    names = {"BenchmarkHeatmap128": "heatmap128", "BenchmarkHeatmap1024": "heatmap1024",
             "BenchmarkGrid12x12": "grid12x12"}
    runs = {}
    with open(path) as f:
        for line in f:
            m = re.match(r"(Benchmark\w+?)(?:-\d+)?\s+\d+\s+([\d.]+) ns/op", line)
            if m and m.group(1) in names:
                runs.setdefault(names[m.group(1)], []).append(float(m.group(2)) / 1e6)
    return {k: statistics.median(v) for k, v in runs.items()}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--go", help="go test -bench output for ./viz")
    ap.add_argument("--repeat", type=int, default=5)
    a = ap.parse_args()
    w128, w1024 = attention(128), attention(1024)
    att = np.stack([np.stack([attention(64, seed=l * 12 + h + 1) for h in range(12)]) for l in range(12)])
    mpl = {
        "heatmap128": timeit(lambda: heatmap(w128), a.repeat),
        "heatmap128-toks": timeit(lambda: heatmap(w128, tokens(128)), a.repeat),
        "heatmap1024": timeit(lambda: heatmap(w1024), a.repeat),
        "grid12x12": timeit(lambda: grid(att), max(2, a.repeat // 2)),
    }
    go = go_results(a.go) if a.go else {}
    goals = {"heatmap128": 10, "heatmap128-toks": 10, "heatmap1024": 10, "grid12x12": 30}
    print(f"matplotlib {matplotlib.__version__} vs attnviz (median ms per figure, PNG bytes in memory)")
    print(f"{'figure':18s} {'matplotlib':>11s} {'attnviz':>9s} {'ratio':>7s} {'goal':>6s}")
    for k, v in mpl.items():
        g = go.get(k.replace("-toks", ""))
        if g:
            r = v / g
            print(f"{k:18s} {v:9.1f}ms {g:7.2f}ms {r:6.1f}x {goals[k]:>5d}x {'ok' if r >= goals[k] else 'MISSED'}")
        else:
            print(f"{k:18s} {v:9.1f}ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
