# Static figures (viz/): benchmarks against matplotlib.
.PHONY: bench-viz
bench:: bench-viz

# Runs the viz benchmarks and the matplotlib peer in one command and prints
# the ratios (goals: heatmap ≥ 10×, 12×12 grid ≥ 30×).
bench-viz:
	$(GO) test ./viz -run '^$$' -bench '^Benchmark(Heatmap|Grid12)' -benchtime 20x -count 5 | tee /tmp/attnviz-bench-viz.txt
	$(PY) scripts/bench_mpl.py --go /tmp/attnviz-bench-viz.txt
