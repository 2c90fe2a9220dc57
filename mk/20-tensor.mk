# tensor ops
#   make bench        attention for 12 heads, d_head 64, n = 128, 512, 2048 in Go
#                     (BenchmarkSDPA) and in PyTorch CPU, alternately, then the
#                     ratio ours/torch per n
#   make tensor-ref   regenerate tensor/testdata/ref from PyTorch (scripts/torch_ref.py)
.PHONY: tensor-ref bench-tensor
TENSOR_BENCH_BIN ?= $(or $(TMPDIR),/tmp)/attnviz-tensor-bench.test

bench:: bench-tensor

bench-tensor:
	@$(PY) -c 'import torch' 2>/dev/null || { echo "bench: PyTorch missing: apt-get install -y python3-torch python3-numpy"; exit 1; }
	$(GO) test -c -o $(TENSOR_BENCH_BIN) ./tensor/
	$(PY) scripts/bench_torch.py --go-test $(TENSOR_BENCH_BIN)

tensor-ref:
	$(PY) scripts/torch_ref.py
