#!/usr/bin/env python3
"""Measures the attnviz kernel's cold start: from launching the kernel to the first figure.

It starts the installed kernel (kernel/build.sh installs it) as Jupyter does, runs one cell
that imports tensor and viz and shows a heatmap, and waits for the image/png on the IOPub
channel. Prints one JSON line: seconds from start to ready, to the first figure, and the
figure cell alone.

    /usr/bin/python3 kernel/coldstart.py [--kernel attnviz-go] [--runs 3]
"""
import argparse
import json
import queue
import statistics
import subprocess
import time

from jupyter_client.manager import KernelManager

CELL = '''import (
	"github.com/attnviz/attnviz/tensor"
	"github.com/attnviz/attnviz/viz"
)
viz.Heatmap(tensor.MustFromRows([][]float32{{0.9, 0.1}, {0.3, 0.7}}), viz.Tokens([]string{"a", "b"}))'''


def once(name):
    km = KernelManager(kernel_name=name)
    t0 = time.perf_counter()
    # The kernel's own output (its log) must not mix with the JSON line this prints.
    km.start_kernel(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=60)
        t_ready = time.perf_counter()
        msg_id = kc.execute(CELL)
        t_sent = time.perf_counter()
        while True:
            try:
                msg = kc.get_iopub_msg(timeout=60)
            except queue.Empty:
                raise SystemExit("coldstart: no figure within 60 s")
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            kind = msg["header"]["msg_type"]
            if kind == "error":
                raise SystemExit("coldstart: the cell failed: " + msg["content"]["evalue"])
            if kind in ("execute_result", "display_data") and "image/png" in msg["content"]["data"]:
                t_fig = time.perf_counter()
                break
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    return t_ready - t0, t_fig - t0, t_fig - t_sent


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--kernel", default="attnviz-go")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    runs = [once(args.kernel) for _ in range(args.runs)]
    med = [statistics.median(r[i] for r in runs) for i in range(3)]
    print(json.dumps({
        "kernel": args.kernel, "runs": args.runs,
        "start_to_ready_s": round(med[0], 3),
        "start_to_first_figure_s": round(med[1], 3),
        "figure_cell_s": round(med[2], 3),
        "all_start_to_first_figure_s": [round(r[1], 3) for r in runs],
    }))


if __name__ == "__main__":
    main()
