# Static figures (viz/): benchmarks against matplotlib.
.PHONY: bench-viz
bench:: bench-viz

# Runs the viz benchmarks and the matplotlib peer in one command and prints
# the ratios (goals: heatmap ≥ 10×, 12×12 grid ≥ 30×).
bench-viz:
	$(call need-py,matplotlib,matplotlib,python3-matplotlib)
	$(call go-test-peer,viz,$(BENCH_DIR)/viz.test,bench_mpl.py)

# Long sequences (issue 16), whole processes: `attnviz render` against a
# matplotlib script for n = 1024 … 8192 (time and peak RSS; goals at 8192:
# ≥ 5× faster, RSS ≤ 1.2× the file), n = 16384, one head of a sparse
# [32,32,4096,4096] F16 record against the head alone (≤ 2×), and the
# interactive page's size, paint and hover times in headless Chromium.
.PHONY: bench-longseq
bench:: bench-longseq
bench-longseq:
	$(call need-py,matplotlib,matplotlib,python3-matplotlib)
	@mkdir -p $(BENCH_DIR)
	$(GO) build -o $(BENCH_DIR)/attnviz ./cmd/attnviz
	$(PEER_ENV) $(PY) scripts/bench_longseq.py --attnviz $(BENCH_DIR)/attnviz --dir $(BENCH_DIR) $(LONGSEQ_FLAGS)
