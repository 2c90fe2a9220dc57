#!/usr/bin/python3
"""attnviz's tensor benchmarks beside PyTorch CPU, in one table.

    /usr/bin/python3 scripts/bench_torch.py --go-test BIN    (BIN: go test -c ./tensor/)

Rows (the Go benchmark of tensor/attention_bench_test.go | the torch code):

  matmul 128×128, one call      BenchmarkMatMulOneCall/n=128 | a @ b, each call
                                timed alone after 1 ms idle (a notebook cell)
  matmul 128×128, tight loop    BenchmarkMatMulSquare/n=128  | a @ b in a loop
  attention n = 128, 512, 2048  BenchmarkSDPA/n=N            | softmax(Q Kᵀ/√d) V,
                                12 heads, d 64, weights kept (what a lesson shows)
  matmul 1024, 2048             BenchmarkMatMulSquare/n=N    | a @ b

The protocol (scripts/benchlib.py): OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE
unset for this process only (the OpenBLAS kernel used is printed), rounds
in which the two sides alternate going first, the first round of each
discarded, median and min printed, ratio from the medians. Each side runs
with the thread count that is faster for each row on its warm-up sample —
Go with GOMAXPROCS, torch with set_num_threads, 1 or all cores; the table
says which — and the CPU time per operation of both is printed beside.
"""
import argparse
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402

benchlib.unset_openblas_vars()

import torch  # noqa: E402


def attention(q, k, v):
    scores = q @ k.transpose(-2, -1)
    scaled = scores / math.sqrt(q.shape[-1])
    weights = torch.softmax(scaled, dim=-1)
    return weights @ v, weights, scaled, scores


def torch_peer(fn, budget, single=False):
    """The torch side of a row: benchlib.Threads over torch.set_num_threads
    (1 or all cores, the faster on the warm-up sample), CPU time included."""
    def sample_with(n):
        with torch.no_grad():
            torch.set_num_threads(n)
            fn()
            return benchlib.peer_sample(fn, budget, single=single, pause=0.001 if single else 0, with_cpu=True)
    return benchlib.Threads(sample_with)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--go-test", required=True, help="a `go test -c` binary of ./tensor")
    ap.add_argument("--rounds", type=int, default=6, help="rounds per row, the first one a discarded warm-up")
    ap.add_argument("--rows", default="", help="comma-separated subset of row names (default all)")
    ap.add_argument("-q", "--quiet", action="store_true", help="print only the table")
    ap.add_argument("--strict", action="store_true", help="exit 1 when a goal is missed (default: print MISSED, exit 0, so `make bench` goes on)")
    a = ap.parse_args()
    binary = os.path.abspath(a.go_test)
    cwd = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tensor")
    torch.manual_seed(0)

    # Fixed iteration counts: `go test` first calls the function once
    # (b.N = 1, untimed in an Nx run); with a time budget instead, a first
    # call longer than the budget (fresh memory from the OS) would be the
    # only sample.
    rows = []

    def add(name, bench, fn, goal, benchtime, flops=None, budget=0.3, single=False):
        rows.append(benchlib.Row(name, benchlib.go_threads(binary, bench, benchtime, cwd=cwd),
                                 torch_peer(fn, budget, single), goal=goal, flops=flops))

    m128 = [torch.randn(128, 128) for _ in range(2)]
    add("matmul 128×128, one call after 1 ms idle", "BenchmarkMatMulOneCall/n=128",
        lambda: m128[0] @ m128[1], 2.0, "200x", flops=2 * 128**3, single=True)
    add("matmul 128×128, tight loop", "BenchmarkMatMulSquare/n=128",
        lambda: m128[0] @ m128[1], 2.0, "3000x", flops=2 * 128**3)
    for n in (128, 512, 2048):
        q, k, v = (torch.randn(12, n, 64) for _ in range(3))
        big = n >= 2048
        add(f"attention 12 heads, d 64, n = {n}, weights kept", f"BenchmarkSDPA/n={n}",
            lambda q=q, k=k, v=v: attention(q, k, v), 1.0 if n <= 512 else None,
            {128: "300x", 512: "30x"}.get(n, "4x"), flops=4 * 12 * n * n * 64, budget=1.0 if big else 0.3)
    for n in (1024, 2048):
        x, y = torch.randn(n, n), torch.randn(n, n)
        add(f"matmul {n}×{n}", f"BenchmarkMatMulSquare/n={n}",
            lambda x=x, y=y: x @ y, round(1 / 0.85, 2), "6x" if n >= 2048 else "20x", flops=2 * n**3, budget=0.6)
    if a.rows:
        want = [s.strip() for s in a.rows.split(",")]
        rows = [r for r in rows if any(w in r.name for w in want)]

    print(f"# torch {torch.__version__}; {benchlib.openblas_info()}")
    print(f"# {benchlib.machine_load()}; {a.rounds} rounds per row, the first discarded", flush=True)
    benchlib.measure(rows, rounds=a.rounds, log=None if a.quiet else print)
    ok = benchlib.table(rows, ours="attnviz", peer="torch CPU")
    print("goals: matmul 128 ≤ 2× torch; attention n ≤ 512 ≤ 1.0×; matmul 1024–2048 ≥ 85 % of torch's speed (ratio ≤ 1.18×)")
    print(f"# {benchlib.machine_load()} (after)")
    return 0 if ok or not a.strict else 1


if __name__ == "__main__":
    sys.exit(main())
