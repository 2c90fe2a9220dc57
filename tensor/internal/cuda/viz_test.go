package cuda_test

import (
	"strings"
	"testing"

	"github.com/attnviz/attnviz/tensor"
	"github.com/attnviz/attnviz/tensor/internal/cuda"
	"github.com/attnviz/attnviz/viz"
)

// The public path: ATTNVIZ_LIBCUDA names the driver, tensor.CUDA loads it
// on first use, attention runs there, and viz draws the result unchanged
// (it reads tensors through the host-access path). The fake driver stands
// in for the GPU.
func TestPublicDeviceWithViz(t *testing.T) {
	dir := t.TempDir()
	path, err := cuda.BuildFake("testdata/fakecuda.c", dir, false)
	if err != nil {
		t.Skip(err)
	}
	t.Setenv("ATTNVIZ_LIBCUDA", path)
	t.Setenv("ATTNVIZ_LIBCUBLAS", path)
	dev, err := tensor.Lookup("cuda")
	if err != nil {
		t.Fatal(err)
	}
	if dev != tensor.CUDA || !strings.Contains(dev.(interface{ String() string }).String(), "Fake CUDA GPU") {
		t.Fatalf("Lookup(cuda) = %v", dev)
	}
	q, k, v := tensor.RandN(1, 2, 6, 8), tensor.RandN(2, 2, 6, 8), tensor.RandN(3, 2, 6, 8)
	cpu := tensor.ScaledDotProductAttention(q, k, v, tensor.CausalMask(6))
	gpu := tensor.ScaledDotProductAttention(q.ToName("cuda"), k.ToName("cuda"), v.ToName("cuda"), tensor.CausalMask(6).ToName("cuda"))
	if err := gpu.Err(); err != nil {
		t.Fatal(err)
	}
	if gpu.Weights.Device() != tensor.CUDA {
		t.Fatalf("weights on %s", gpu.Weights.Device().Name())
	}
	cw, gw := cpu.Weights.Data(), gpu.Weights.Data()
	for i := range cw {
		if d := cw[i] - gw[i]; d > 1e-6 || d < -1e-6 {
			t.Fatalf("weights differ at %d: %v vs %v", i, gw[i], cw[i])
		}
	}
	toks := []string{"the", "cat", "sat", "on", "the", "mat"}
	fig := viz.Heatmap(gpu.Weights.Index(1), viz.Tokens(toks))
	if err := fig.Err(); err != nil || len(fig.PNG()) == 0 {
		t.Fatalf("Heatmap of CUDA weights: %v", err)
	}
	if g := viz.Grid(gpu.Weights.Unsqueeze(0)); g.Err() != nil {
		t.Fatalf("Grid of CUDA weights: %v", g.Err())
	}
	// the default device from the environment
	t.Setenv("ATTNVIZ_DEVICE", "cuda")
	if x := tensor.Ones(3); x.Device() != tensor.CUDA {
		t.Errorf("ATTNVIZ_DEVICE=cuda: Ones on %s", x.Device().Name())
	}
}
