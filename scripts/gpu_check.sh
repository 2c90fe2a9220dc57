#!/usr/bin/env bash
# gpu_check.sh — the CUDA checks that need a real NVIDIA GPU, in one run.
#
# Prepare on a machine with Go (the GPU machine needs none):
#   make gpu-build        # CGO_ENABLED=0 go test -c → gpu/tensor.test, gpu/cuda.test
# then, on the GPU machine, from the repository root:
#   bash scripts/gpu_check.sh
#
# It runs (1) the CUDA tests of tensor/internal/cuda and tensor with
# ATTNVIZ_REQUIRE_CUDA=1 (a missing GPU fails instead of skipping), and
# (2) a benchmark of our ScaledDotProductAttention (every intermediate
# kept) against PyTorch on the same GPU: n = 1024 and 4096 tokens, 12 heads,
# dₖ = 64, float32 — torch's scaled_dot_product_attention (no weights) and
# torch softmax(QKᵀ/√d)V keeping scores, scaled and weights like ours.
# It prints the ratios ours / torch; the goal (issue #14) is ≤ 1.0 against
# torch's like-for-like path (softmax(QKᵀ/√d)V keeping the weights). "ours"
# is measured twice: plain (each call's results wait for Go's garbage
# collector to give their device memory back) and "+workspace" (the results
# go back to the device's pool after each call, tensor.Workspace — the
# explicit counterpart of PyTorch's caching allocator). Logs go to $OUT (or
# gpu/out). Exit status: non-zero when a test failed.
set -u
cd "$(dirname "$0")/.."
ROOT=$(pwd)
OUT=${OUT:-$ROOT/gpu/out}
mkdir -p "$OUT"
if [ -z "${PY:-}" ]; then
	for p in python3 python /opt/conda/bin/python /usr/local/bin/python3 /usr/bin/python3; do
		if "$p" -c 'import torch' >/dev/null 2>&1; then PY=$p; break; fi
	done
	PY=${PY:-python3}
fi
status=0

echo "== GPU"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv 2>&1 | tee "$OUT/nvidia-smi.txt"

# cuBLAS: the system's, or the one PyTorch's wheels bring.
if [ -z "${ATTNVIZ_LIBCUBLAS:-}" ]; then
	dirs="$($PY -c 'import os, nvidia.cublas as m; print(os.path.join(list(m.__path__)[0], "lib"))' 2>/dev/null) \
		/usr/local/cuda/lib64 /usr/local/cuda/targets/x86_64-linux/lib /usr/lib/x86_64-linux-gnu /usr/lib64"
	for d in $dirs; do
		for f in "$d"/libcublas.so.13 "$d"/libcublas.so.12 "$d"/libcublas.so.11 "$d"/libcublas.so; do
			if [ -e "$f" ]; then
				export ATTNVIZ_LIBCUBLAS="$f"
				export LD_LIBRARY_PATH="$d${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
				break 2
			fi
		done
	done
fi
echo "ATTNVIZ_LIBCUBLAS=${ATTNVIZ_LIBCUBLAS:-<none found: own matmul kernel>}"

export ATTNVIZ_REQUIRE_CUDA=1
echo "== tests: tensor/internal/cuda"
(cd tensor/internal/cuda && "$ROOT/gpu/cuda.test" -test.count=1 -test.v -test.timeout 120s) >"$OUT/test-cuda.txt" 2>&1 || status=1
grep -E '^(--- |=== RUN|ok|FAIL|PASS)|cuda_test.go' "$OUT/test-cuda.txt" | grep -v '=== RUN' | tail -20
echo "== tests: tensor (CUDA)"
(cd tensor && "$ROOT/gpu/tensor.test" -test.run 'CUDA' -test.short -test.count=1 -test.v -test.timeout 180s) >"$OUT/test-tensor.txt" 2>&1 || status=1
grep -E '^(--- FAIL|ok|FAIL|PASS)|^    --- (PASS|FAIL|SKIP): Test|cuda_test.go|GPU:' "$OUT/test-tensor.txt" | tail -25
echo "   ($(grep -c -- '--- PASS' "$OUT/test-tensor.txt") passed, $(grep -c -- '--- FAIL' "$OUT/test-tensor.txt") failed)"

echo "== benchmark: ours (Go)"
(cd tensor && "$ROOT/gpu/tensor.test" -test.run '^$' -test.bench 'CUDASDPA|CUDAOps' -test.benchtime 1s -test.timeout 180s) >"$OUT/bench-go.txt" 2>&1 || status=1
grep -E '^Benchmark|FAIL|panic' "$OUT/bench-go.txt"

echo "== benchmark: PyTorch"
$PY - "$OUT/bench-torch.json" <<'PYEOF' 2>&1 | tee "$OUT/bench-torch.txt"
import json, math, sys, time
import torch
import torch.nn.functional as F
dev = "cuda"
print("torch", torch.__version__, "CUDA", torch.version.cuda, torch.cuda.get_device_name(0),
      "tf32 matmul:", torch.backends.cuda.matmul.allow_tf32)
res = {}
for n in (1024, 4096):
    g = torch.Generator(device=dev).manual_seed(0)
    q, k, v = (torch.randn(12, n, 64, device=dev, generator=g) for _ in range(3))
    def sdpa():
        return F.scaled_dot_product_attention(q, k, v)
    def weights():
        s = q @ k.transpose(-2, -1)
        sc = s / math.sqrt(64)
        w = torch.softmax(sc, dim=-1)
        return s, sc, w, w @ v
    for name, f in (("sdpa", sdpa), ("weights", weights)):
        try:
            for _ in range(3):
                f()
            torch.cuda.synchronize()
        except Exception as e:  # e.g. a torch without scaled_dot_product_attention
            print(f"torch {name}: {e}")
            continue
        iters = 200 if n == 1024 else 40
        t0 = time.perf_counter()
        for _ in range(iters):
            r = f()
        torch.cuda.synchronize()
        ms = (time.perf_counter() - t0) / iters * 1e3
        res[f"{name}/n={n}"] = ms
        print(f"torch {name:8s} n={n}: {ms:.3f} ms")
        del r
    del q, k, v
    torch.cuda.empty_cache()
json.dump(res, open(sys.argv[1], "w"))
PYEOF

echo "== ratios (ours / torch, same GPU; goal ≤ 1.0 against torch's softmax(QKᵀ/√d)V with the weights)"
$PY - "$OUT/bench-go.txt" "$OUT/bench-torch.json" <<'PYEOF' 2>&1 | tee "$OUT/ratios.txt"
import json, re, sys
go = {}
for line in open(sys.argv[1]):
    m = re.match(r"BenchmarkCUDASDPA/([\w+]+)/n=(\d+)\S*\s+\d+\s+([\d.]+) ns/op", line)
    if m:
        go[(m.group(1), int(m.group(2)))] = float(m.group(3)) / 1e6
try:
    t = json.load(open(sys.argv[2]))
except Exception as e:
    sys.exit(f"no torch timings: {e}")
def cmp(ms, label, tm):
    return f" | {label} {tm:8.3f} ms → ratio {ms/tm:5.2f}" if tm else f" | {label}: no timing"
for (impl, n), ms in sorted(go.items(), key=lambda x: (x[0][1], x[0][0])):
    print(f"n={n:5d} ours[{impl:17s}] {ms:8.3f} ms" + cmp(ms, "torch softmax(QKᵀ/√d)V", t.get(f"weights/n={n}"))
          + cmp(ms, "torch SDPA (no weights)", t.get(f"sdpa/n={n}")))
PYEOF
echo "== done (status $status); logs in $OUT"
exit $status
