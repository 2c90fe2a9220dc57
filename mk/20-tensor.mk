# tensor ops
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
	$(call go-test-peer,tensor,$(TENSOR_BENCH_BIN),bench_torch.py)

tensor-ref:
	$(PY) scripts/torch_ref.py

# The portable path (what arm64 and every non-amd64 machine run), tested on
# every `make test`: the arm64 build of everything (vet type-checks the
# tests too), then the CPU kernels' tests — tensor/internal/cpu, tensor's
# kernel, softmax, attention, Linear, workspace and reference tests, and the
# model's forward passes against PyTorch — with ATTNVIZ_SIMD=none, which
# makes amd64 run the portable Go kernels instead of the assembly.
.PHONY: test-portable
test: test-portable
PORTABLE_TESTS ?= Kernel|Ref|SDPA|Softmax|Attention|GQA|MatMul|Linear|Workspace|RoPE|Expf|SiLU|SIMD|Ops|Norm|GELU

test-portable:
	GOARCH=arm64 $(GO) vet ./...
	GOARCH=arm64 $(GO) build ./...
	ATTNVIZ_SIMD=none $(GO) test -count=1 -run '$(PORTABLE_TESTS)' -skip 'CUDA' ./tensor/internal/cpu/ ./tensor/
	ATTNVIZ_SIMD=none $(GO) test -count=1 ./model/
