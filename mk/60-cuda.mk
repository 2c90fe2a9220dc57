# CUDA device (tensor/internal/cuda, tensor/cuda*.go): see scripts/gpu_check.sh.
.PHONY: ptx gpu-build gpu-check

# Regenerate tensor/internal/cuda/kernels.ptx from kernels.cu (needs clang-19
# or clang-14: apt-get install -y clang-19); the PTX is committed.
ptx:
	cd tensor/internal/cuda && $(GO) generate .

# Test binaries for a GPU machine without Go (no cgo: they only need libc).
gpu-build:
	mkdir -p gpu
	CGO_ENABLED=0 $(GO) test -c -o gpu/tensor.test ./tensor/
	CGO_ENABLED=0 $(GO) test -c -o gpu/cuda.test ./tensor/internal/cuda/

# On a machine with an NVIDIA GPU: CUDA tests (required to pass) and the
# attention benchmark against PyTorch.
gpu-check: gpu-build
	bash scripts/gpu_check.sh

# The GPU benchmarks skip (with the reason) where there is no GPU.
bench::
	$(GO) test -run '^$$' -bench 'CUDA' ./tensor/
