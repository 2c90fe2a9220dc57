#!/usr/bin/python3
"""`make bench-longseq`: long sequences, whole processes (issue 16).

1. Static heatmap PNG of one head, a float32 .npy of n×n attention weights,
   n = 1024, 2048, 4096, 8192: `attnviz render -o out.png FILE` against a
   matplotlib script doing the same figure (imshow + colour bar + labels +
   title, Agg, PNG), each a whole process, same file, same run; wall time and
   peak RSS (ru_maxrss of the child). Goals at n = 8192: matplotlib / attnviz
   ≥ 5× (medians), attnviz RSS ≤ 1.2× the file's size. Then n = 16384 for
   attnviz alone (it must work; its RSS against its 1 GiB file).
2. One head of a [32, 32, 4096, 4096] float16 safetensors record (a sparse
   32 GiB file: the header and that head's bytes are real) against the same
   head stored alone, both rendered whole-process: goal ≤ 2×.
3. The interactive heatmap page at n = 1024 … 8192: bytes, paint time in
   headless Chromium, hover (web/longseq.mjs). Goal at 8192: ≤ 12 MB,
   painted ≤ 2 s, hover ≤ 100 ms.

The protocol is scripts/benchlib.py's: the peer runs with OPENBLAS_CORETYPE
and OPENBLAS_L2_SIZE unset, the sides take turns going first, the first round
of each side is discarded, median and min, ratios of medians. The load
average is printed before and after: timings on a loaded machine are noise;
RSS and bytes are not.

Usage: /usr/bin/python3 scripts/bench_longseq.py --attnviz BIN [--dir DIR]
       [--rounds N] [--sizes 1024,2048,4096,8192] [--no-browser]
"""
import argparse
import json
import os
import statistics
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))


def attention(n, seed=1):
    """The weights of bench_mpl.py: causal, a strong previous-token diagonal."""
    import numpy as np
    rng = np.random.default_rng(seed)
    w = np.empty((n, n), dtype=np.float32)
    for r0 in range(0, n, 512):  # in bands: an 8192² float64 temporary would be 512 MB
        r1 = min(n, r0 + 512)
        s = rng.random((r1 - r0, n), dtype=np.float32) * 0.8
        rows = np.arange(r0, r1)
        prev = rows[rows > 0]
        s[prev - r0, prev - 1] += 4
        s[np.arange(n)[None, :] > rows[:, None]] = -np.inf
        s = np.exp(s - s.max(axis=1, keepdims=True))
        w[r0:r1] = s / s.sum(axis=1, keepdims=True)
    return w


def ensure_file(d, n):
    import numpy as np
    path = os.path.join(d, f"att{n}.npy")
    if not (os.path.exists(path) and os.path.getsize(path) == 128 + 4 * n * n):
        np.save(path + ".tmp.npy", attention(n))
        os.replace(path + ".tmp.npy", path)
    return path


# The child is started by a small intermediate process: ru_maxrss of a
# process forked from this one would count this process's memory (a fork
# copies the parent's page tables, and exec keeps the old high-water mark).
SPAWN = r"""
import os, sys, time
t0 = time.perf_counter()
pid = os.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
_, st, ru = os.wait4(pid, 0)
sys.stderr.write("\nRUSAGE %d %.3f\n" % (ru.ru_maxrss, (time.perf_counter() - t0) * 1e3))
sys.exit(os.waitstatus_to_exitcode(st))
"""


def run_child(argv, env=None):
    """Runs a whole process; returns (wall ms, peak RSS bytes)."""
    p = subprocess.run([sys.executable, "-S", "-c", SPAWN] + argv, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, env=env, text=True)
    lines = p.stderr.strip().splitlines()
    if p.returncode != 0 or not lines or not lines[-1].startswith("RUSAGE "):
        raise RuntimeError(f"{argv} failed: {p.stderr}")
    _, kb, ms = lines[-1].split()
    return float(ms), int(kb) * 1024


PEER = r"""
import sys, matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt, numpy as np
w = np.load(sys.argv[1])
fig, ax = plt.subplots()
im = ax.imshow(w, cmap="viridis", vmin=0)
ax.set_xlabel("key"); ax.set_ylabel("query"); ax.set_title("Attention weights")
fig.colorbar(im, ax=ax, label="weight")
fig.savefig(sys.argv[2], format="png")
"""


def write_sparse_record(path, L, H, T, l, h, head):
    """A safetensors file declaring F16 [L, H, T, T], a hole but for (l, h)."""
    size = L * H * T * T * 2
    hdr = json.dumps({"attention": {"dtype": "F16", "shape": [L, H, T, T], "data_offsets": [0, size]}}).encode()
    hdr += b" " * (-len(hdr) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hdr)) + hdr)
        start = 8 + len(hdr)
        f.truncate(start + size)
        f.seek(start + (l * H + h) * T * T * 2)
        f.write(head.astype("<f2").tobytes())


def write_head(path, head):
    hdr = json.dumps({"attention": {"dtype": "F16", "shape": list(head.shape), "data_offsets": [0, head.size * 2]}}).encode()
    hdr += b" " * (-len(hdr) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hdr)) + hdr + head.astype("<f2").tobytes())


def mb(b):
    return f"{b / 1e6:.0f} MB"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--attnviz", required=True, help="the attnviz command (go build ./cmd/attnviz)")
    ap.add_argument("--dir", default=os.path.join(os.environ.get("TMPDIR", "/tmp"), "attnviz-bench"))
    ap.add_argument("--rounds", type=int, default=4, help="rounds per row, the first a discarded warm-up")
    ap.add_argument("--sizes", default="1024,2048,4096,8192")
    ap.add_argument("--no-16384", action="store_true", help="skip the n = 16384 run (a 1 GiB file)")
    ap.add_argument("--no-browser", action="store_true")
    a = ap.parse_args()
    os.makedirs(a.dir, exist_ok=True)
    ours_bin = os.path.abspath(a.attnviz)
    peer_env = {k: v for k, v in os.environ.items() if k not in benchlib.OPENBLAS_VARS}
    import matplotlib
    print(f"# attnviz render vs matplotlib {matplotlib.__version__} (Agg), whole processes, same file; "
          f"{benchlib.openblas_info()}")
    print(f"# {benchlib.machine_load()}; {a.rounds} rounds per row, the first discarded", flush=True)

    # 1. static heatmaps
    sizes = [int(s) for s in a.sizes.split(",") if s]
    rows, rss, files = [], {}, {}
    out = os.path.join(a.dir, "out.png")
    for n in sizes:
        path = ensure_file(a.dir, n)
        files[n] = os.path.getsize(path)
        rss[n] = {"ours": [], "peer": []}

        def ours(path=path, n=n):
            ms, r = run_child([ours_bin, "render", "-o", out, path])
            rss[n]["ours"].append(r)
            return ms, {}

        def peer(path=path, n=n):
            ms, r = run_child([sys.executable, "-c", PEER, path, out + ".mpl.png"], env=peer_env)
            rss[n]["peer"].append(r)
            return ms

        rows.append(benchlib.Row(f"heatmap {n}² f32 .npy ({mb(files[n])}), PNG", ours, peer,
                                 speedup_goal=5 if n == 8192 else None))
    benchlib.measure(rows, rounds=a.rounds)
    ok = benchlib.table(rows, ours="attnviz", peer="matplotlib")
    print()
    print("| n | file | attnviz peak RSS (median) | matplotlib peak RSS | attnviz RSS / file | goal |")
    print("|---|---|---|---|---|---|")
    for n in sizes:
        o, p = statistics.median(rss[n]["ours"][1:] or rss[n]["ours"]), statistics.median(rss[n]["peer"][1:] or rss[n]["peer"])
        goal = ""
        if n == 8192:
            met = o <= 1.2 * files[n]
            ok = ok and met
            goal = f"≤ 1.2× {'ok' if met else 'MISSED'}"
        print(f"| {n} | {mb(files[n])} | {mb(o)} | {mb(p)} | {o / files[n]:.2f}× | {goal} |")
    if not a.no_16384:
        path = ensure_file(a.dir, 16384)
        ms, r = run_child([ours_bin, "render", "-o", out, path])
        print(f"\nn = 16384 ({mb(os.path.getsize(path))} file): attnviz render PNG {ms:.0f} ms, peak RSS {mb(r)} "
              f"({r / os.path.getsize(path):.2f}× the file); matplotlib not run (≈ 3.4× the file in RAM)")

    # 2. one head of a long record
    import numpy as np
    head = attention(4096)
    rec = os.path.join(a.dir, "record-32x32x4096.safetensors")
    alone = os.path.join(a.dir, "head-4096.safetensors")
    write_sparse_record(rec, 32, 32, 4096, 21, 7, head)
    write_head(alone, head)
    r2 = [benchlib.Row("one head of [32,32,4096,4096] F16 (32 GiB, sparse) vs the head alone",
                       lambda: (run_child([ours_bin, "render", "-layer", "21", "-head", "7", "-o", out, rec])[0], {}),
                       lambda: run_child([ours_bin, "render", "-o", out, alone])[0], goal=2)]
    print(f"\n# {benchlib.machine_load()}", flush=True)
    benchlib.measure(r2, rounds=a.rounds)
    ok = benchlib.table(r2, ours="head of the record", peer="head alone", ratio_goal="≤ 2×") and ok
    os.remove(rec)

    # 3. the interactive page
    if not a.no_browser:
        print("\n## interactive heatmap pages (headless Chromium)", flush=True)
        pages = []
        for n in sizes:
            html = os.path.join(a.dir, f"att{n}.html")
            t0 = time.perf_counter()
            run_child([ours_bin, "render", "-o", html, ensure_file(a.dir, n)])
            pages.append((n, html, (time.perf_counter() - t0) * 1e3))
        res = subprocess.run(["node", os.path.join(ROOT, "web", "longseq.mjs")] + [p[1] for p in pages],
                             cwd=os.path.join(ROOT, "web"), capture_output=True, text=True)
        if res.returncode != 0:
            print(res.stdout, res.stderr)
            ok = False
        else:
            got = json.loads(res.stdout.strip().splitlines()[-1])
            print("| n | page | written in | painted after load (median) | hover (median, max) | goal |")
            print("|---|---|---|---|---|---|")
            for (n, html, wms), g in zip(pages, got):
                size = os.path.getsize(html)
                goal = ""
                if n == 8192:
                    met = size <= 12e6 and g["paint"] <= 2000 and g["hoverMax"] <= 100
                    ok = ok and met
                    goal = f"≤ 12 MB, ≤ 2 s, ≤ 100 ms {'ok' if met else 'MISSED'}"
                print(f"| {n} | {size / 1e6:.2f} MB | {wms:.0f} ms | {g['paint']:.0f} ms | {g['hover']:.0f} ms, {g['hoverMax']:.0f} ms | {goal} |")
    print(f"\n# {benchlib.machine_load()} (after)")
    return 0


if __name__ == "__main__":
    benchlib.unset_openblas_vars()
    sys.exit(main())
