#!/usr/bin/python3
"""Time attention in PyTorch CPU on the shapes of tensor/attention_bench_test.go.

12 heads, d_head 64, n = 128, 512, 2048, the attention weights kept (the
manual softmax(Q Kᵀ/√d) V that a lesson shows, not a fused kernel that
throws the weights away). Prints one line per n:

    torch n=512 ms=23.1

Run with Debian's python3-torch: /usr/bin/python3 scripts/bench_torch.py
"""
import math
import os
import sys
import time

import torch


def attention(q, k, v):
    scores = q @ k.transpose(-2, -1)
    scaled = scores / math.sqrt(q.shape[-1])
    weights = torch.softmax(scaled, dim=-1)
    return weights @ v, weights


def main():
    torch.manual_seed(0)
    # Debian's torch starts with one OpenMP thread here; our Go code uses
    # every core, so give torch the same (override with TORCH_THREADS).
    torch.set_num_threads(int(os.environ.get("TORCH_THREADS", os.cpu_count() or 1)))
    ns = [int(a) for a in sys.argv[1:]] or [128, 512, 2048]
    print(f"# torch {torch.__version__}, {torch.get_num_threads()} threads", flush=True)
    for n in ns:
        q, k, v = (torch.randn(12, n, 64) for _ in range(3))
        with torch.no_grad():
            attention(q, k, v)  # warm up
            budget = 2.0 if n < 2048 else 4.0
            times = []
            t_end = time.perf_counter() + budget
            while len(times) < 3 or (time.perf_counter() < t_end and len(times) < 200):
                t0 = time.perf_counter()
                out, w = attention(q, k, v)
                times.append(time.perf_counter() - t0)
                del out, w
        times.sort()
        med = times[len(times) // 2]
        print(f"torch n={n} ms={med * 1e3:.3f}", flush=True)


if __name__ == "__main__":
    main()
