# tensor ops (owner: tensor-ops engineer)
#   make bench-tensor the table of issue #14: matmul 128×128 (one call after
#                     idle, tight loop), attention 12 heads d 64 n = 128, 512,
#                     2048 (weights kept), matmul 1024 and 2048 — Go benchmarks
#                     of tensor/attention_bench_test.go and PyTorch CPU
#                     alternately (scripts/bench_torch.py), median and min,
#                     ratio from the medians, the goals checked
#   make tensor-ref   regenerate tensor/testdata/ref from PyTorch (scripts/torch_ref.py)
.PHONY: tensor-ref bench-tensor
TENSOR_BENCH_BIN ?= $(BENCH_DIR)/tensor.test

bench:: bench-tensor

bench-tensor:
	@$(PY) -c 'import torch' 2>/dev/null || { echo "bench: PyTorch missing: apt-get install -y python3-torch python3-numpy"; exit 1; }
	@mkdir -p $(BENCH_DIR)
	$(GO) test -c -o $(TENSOR_BENCH_BIN) ./tensor/
	$(PEER_ENV) $(PY) scripts/bench_torch.py --go-test $(TENSOR_BENCH_BIN)

tensor-ref:
	$(PY) scripts/torch_ref.py
