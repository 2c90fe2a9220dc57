# Static figures (viz/): benchmarks against matplotlib.
.PHONY: bench-viz
bench:: bench-viz

# Runs the viz benchmarks and the matplotlib peer in one command and prints
# the ratios (goals: heatmap ≥ 10×, 12×12 grid ≥ 30×).
bench-viz:
	@$(PY) -c 'import matplotlib' 2>/dev/null || { echo "bench-viz: matplotlib missing: apt-get install -y python3-matplotlib"; exit 1; }
	@mkdir -p $(BENCH_DIR)
	$(GO) test -c -o $(BENCH_DIR)/viz.test ./viz/
	$(PEER_ENV) $(PY) scripts/bench_mpl.py --go-test $(BENCH_DIR)/viz.test
