#!/usr/bin/python3
"""Time attention in PyTorch CPU on the shapes of tensor/attention_bench_test.go.

12 heads, d_head 64, n = 128, 512, 2048, the attention weights kept (the
manual softmax(Q Kᵀ/√d) V that a lesson shows, not a fused kernel that
throws the weights away). Prints one line per n:

    torch n=512 threads=2 ms=23.1

torch runs with all cores and with one thread (Debian's default here is
one); the faster counts. With --go-test BINARY (`go test -c ./tensor/`) it
runs our BenchmarkSDPA and torch alternately per n, three rounds, and keeps
each side's best time, so both see the same load on a shared machine (this is
what `make bench` does). With --go FILE (the output of `go test -bench BenchmarkSDPA ./tensor/`,
any -count), it also prints the ratio ours/torch per n, using the best
time of each side:

    n      attnviz ms   torch ms   ours/torch
    512        15.80      23.10        0.68

Run with Debian's python3-torch: /usr/bin/python3 scripts/bench_torch.py
"""
import argparse
import math
import os
import re
import subprocess
import time

import torch


def attention(q, k, v):
    scores = q @ k.transpose(-2, -1)
    scaled = scores / math.sqrt(q.shape[-1])
    weights = torch.softmax(scaled, dim=-1)
    return weights @ v, weights


def time_attention(q, k, v, budget):
    """Best seconds of attention(q, k, v) over about budget seconds (the
    minimum is the estimate least disturbed by other work on a shared
    machine; the Go side is read the same way)."""
    with torch.no_grad():
        attention(q, k, v)  # warm up
        times = []
        t_end = time.perf_counter() + budget
        while len(times) < 3 or (time.perf_counter() < t_end and len(times) < 200):
            t0 = time.perf_counter()
            out, w = attention(q, k, v)
            times.append(time.perf_counter() - t0)
            del out, w
    return min(times)


def go_times(path):
    """Best ms per n from Go benchmark output (BenchmarkSDPA/n=512-2 ... ns/op)."""
    times = {}
    pat = re.compile(r"^BenchmarkSDPA/n=(\d+)(?:-\d+)?\s+\d+\s+([\d.]+) ns/op")
    with open(path) as f:
        for line in f:
            m = pat.match(line.strip())
            if m:
                times.setdefault(int(m.group(1)), []).append(float(m.group(2)) / 1e6)
    return {n: min(v) for n, v in times.items()}


def run_go(binary, n):
    """Best ms of BenchmarkSDPA/n=N from a compiled `go test -c` binary."""
    out = subprocess.run(
        [binary, "-test.run", "^$", "-test.bench", f"^BenchmarkSDPA$/^n={n}$",
         "-test.benchtime", "0.5s", "-test.count", "5"],
        check=True, capture_output=True, text=True).stdout
    path = f"{binary}.n{n}.txt"
    with open(path, "w") as f:
        f.write(out)
    return go_times(path).get(n)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("n", nargs="*", type=int, help="sequence lengths (default 128 512 2048)")
    ap.add_argument("--go", help="Go benchmark output to compare with")
    ap.add_argument("--go-test", help="a `go test -c` binary of ./tensor: run its BenchmarkSDPA "
                    "alternately with torch, per n, three rounds, best of each side")
    args = ap.parse_args()
    ours = go_times(args.go) if args.go else {}
    if args.go and not ours:
        raise SystemExit(f"no BenchmarkSDPA lines in {args.go}")
    ns = args.n or sorted(ours) or [128, 512, 2048]
    torch_ms = {}
    torch.manual_seed(0)
    # Debian's torch starts with one OpenMP thread here, while the Go code
    # uses every core. Time torch with all cores and with one, and compare
    # against the faster (TORCH_THREADS=N fixes the count).
    if "TORCH_THREADS" in os.environ:
        thread_counts = [int(os.environ["TORCH_THREADS"])]
    else:
        thread_counts = sorted({os.cpu_count() or 1, 1}, reverse=True)
    print(f"# torch {torch.__version__}, threads tried: {thread_counts}", flush=True)
    rounds = 3 if args.go_test else 1
    for n in ns:
        q, k, v = (torch.randn(12, n, 64) for _ in range(3))
        best = None
        for _ in range(rounds):
            # The machine is shared: alternate the two sides so that both
            # see the same conditions, and keep each side's best round.
            if args.go_test:
                ms = run_go(args.go_test, n)
                print(f"attnviz n={n} ms={ms:.3f}", flush=True)
                ours[n] = min(ours.get(n, ms), ms)
            for threads in thread_counts:
                torch.set_num_threads(threads)
                med = time_attention(q, k, v, budget=2.0 if n < 2048 else 4.0)
                print(f"torch n={n} threads={threads} ms={med * 1e3:.3f}", flush=True)
                if best is None or med < best:
                    best = med
        torch_ms[n] = best * 1e3
    if ours:
        print(f"{'n':>6} {'attnviz ms':>11} {'torch ms':>10} {'ours/torch':>11}")
        for n in ns:
            if n in ours:
                print(f"{n:>6} {ours[n]:>11.2f} {torch_ms[n]:>10.2f} {ours[n] / torch_ms[n]:>11.2f}")


if __name__ == "__main__":
    main()
