# tensor ops (owner: tensor-ops engineer)
#   make bench        attention for 12 heads, d_head 64, n = 128, 512, 2048 in Go
#                     (go test -bench) and in PyTorch CPU, then the ratio ours/torch
#   make tensor-ref   regenerate tensor/testdata/ref from PyTorch (scripts/torch_ref.py)
.PHONY: tensor-ref bench-tensor
TENSOR_BENCH_OUT ?= $(or $(TMPDIR),/tmp)/attnviz-bench-sdpa.txt

bench:: bench-tensor

bench-tensor:
	@$(PY) -c 'import torch' 2>/dev/null || { echo "bench: PyTorch missing: apt-get install -y python3-torch python3-numpy"; exit 1; }
	$(GO) test -run '^$$' -bench '^BenchmarkSDPA$$' -benchtime 1s -count 3 ./tensor/ | tee $(TENSOR_BENCH_OUT)
	$(PY) scripts/bench_torch.py --go $(TENSOR_BENCH_OUT)

tensor-ref:
	$(PY) scripts/torch_ref.py
