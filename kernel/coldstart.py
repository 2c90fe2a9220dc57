#!/usr/bin/env python3
"""Measures the attnviz kernel's cold start: from launching the kernel to the first figure.

It starts the installed kernel (kernel/build.sh installs it) as Jupyter does, runs one cell
that imports tensor and viz and shows a heatmap, and waits for the image/png on the IOPub
channel. Prints one JSON line: seconds from start to ready, to the first figure, and the
figure cell alone (medians of --runs); and what does not depend on how loaded the machine
is: the CPU seconds the kernel used up to its first figure (with any child process it ran and
waited for, such as a `go list`) and its resident memory then.

--fresh-go-cache gives each run an empty Go build cache (GOCACHE), as a new user on a
machine with a Go toolchain has; --env KEY=VALUE (repeatable) sets the kernel's environment.

    /usr/bin/python3 kernel/coldstart.py [--kernel attnviz-go] [--runs 3] [--fresh-go-cache]
"""
import argparse
import json
import os
import queue
import shutil
import statistics
import subprocess
import tempfile
import time

from jupyter_client.manager import KernelManager

CELL = '''import (
	"github.com/attnviz/attnviz/tensor"
	"github.com/attnviz/attnviz/viz"
)
viz.Heatmap(tensor.MustFromRows([][]float32{{0.9, 0.1}, {0.3, 0.7}}), viz.Tokens([]string{"a", "b"}))'''


def cpu_and_rss(pid):
    """CPU seconds of pid and of the children it waited for, and its RSS in bytes."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    cpu = sum(int(x) for x in fields[11:15]) / os.sysconf("SC_CLK_TCK")  # utime stime cutime cstime
    with open(f"/proc/{pid}/status") as f:
        rss = next(int(l.split()[1]) * 1024 for l in f if l.startswith("VmRSS:"))
    return cpu, rss


def once(name, env):
    km = KernelManager(kernel_name=name)
    t0 = time.perf_counter()
    # The kernel's own output (its log) must not mix with the JSON line this prints.
    km.start_kernel(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=dict(os.environ, **env))
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=300)
        t_ready = time.perf_counter()
        msg_id = kc.execute(CELL)
        t_sent = time.perf_counter()
        while True:
            try:
                msg = kc.get_iopub_msg(timeout=300)
            except queue.Empty:
                raise SystemExit("coldstart: no figure within 300 s")
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            kind = msg["header"]["msg_type"]
            if kind == "error":
                raise SystemExit("coldstart: the cell failed: " + msg["content"]["evalue"])
            if kind in ("execute_result", "display_data") and "image/png" in msg["content"]["data"]:
                t_fig = time.perf_counter()
                break
        cpu, rss = cpu_and_rss(km.provisioner.process.pid)
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    return t_ready - t0, t_fig - t0, t_fig - t_sent, cpu, rss


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--kernel", default="attnviz-go")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--fresh-go-cache", action="store_true",
                    help="an empty GOCACHE for each run (a new user on a machine with Go)")
    ap.add_argument("--env", action="append", default=[], metavar="KEY=VALUE",
                    help="set in the kernel's environment")
    args = ap.parse_args()
    env = dict(kv.split("=", 1) for kv in args.env)
    runs = []
    for _ in range(args.runs):
        cache = None
        if args.fresh_go_cache:
            cache = tempfile.mkdtemp(prefix="coldstart-gocache-")
            env["GOCACHE"] = cache
        try:
            runs.append(once(args.kernel, env))
        finally:
            if cache:
                shutil.rmtree(cache, ignore_errors=True)
    med = [statistics.median(r[i] for r in runs) for i in range(5)]
    print(json.dumps({
        "kernel": args.kernel, "runs": args.runs,
        **({"env": env} if env else {}),
        "start_to_ready_s": round(med[0], 3),
        "start_to_first_figure_s": round(med[1], 3),
        "figure_cell_s": round(med[2], 3),
        "all_start_to_first_figure_s": [round(r[1], 3) for r in runs],
        "cpu_to_first_figure_s": round(med[3], 3),
        "rss_at_first_figure_mb": round(med[4] / (1 << 20), 1),
    }))


if __name__ == "__main__":
    main()
