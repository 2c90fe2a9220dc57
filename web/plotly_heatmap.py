#!/usr/bin/python3
"""Writes the peer page for `make bench`: a plotly heatmap of n×n causal
softmax weights (same generator shape as attnviz's bench), plotly.js inline
(offline, like ours). Prints the write time in ms.

    python3 web/plotly_heatmap.py N OUT.html
"""
import sys
import time

import numpy as np
import plotly.graph_objects as go

n, out = int(sys.argv[1]), sys.argv[2]
rng = np.random.default_rng(n)
s = rng.uniform(-3, 3, (n, n))
s[np.triu_indices(n, 1)] = -np.inf
w = np.exp(s - s.max(axis=1, keepdims=True))
w /= w.sum(axis=1, keepdims=True)
w = w.astype(np.float32)
toks = [f"tok{i}" for i in range(n)]
t0 = time.perf_counter()
fig = go.Figure(go.Heatmap(z=w, x=toks, y=toks, colorscale="Viridis"))
fig.update_yaxes(autorange="reversed")
fig.write_html(out, include_plotlyjs=True, full_html=True)
print(f"{(time.perf_counter() - t0) * 1000:.1f}")
