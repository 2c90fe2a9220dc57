package tensor

import (
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/attnviz/attnviz/tensor/internal/cuda"
)

// The CUDA tests run every op on a CUDA device and compare with the CPU.
// They run twice over: on the fake driver (internal/cuda/testdata/
// fakecuda.c, built with gcc; always, in CI) with and without its fake
// cuBLAS, and on a real GPU when one is present (skipped with the reason
// otherwise; ATTNVIZ_REQUIRE_CUDA=1 turns that skip into a failure).

var cudaFake struct {
	sync.Once
	path      string
	err       error
	blas, own *cudaDevice

	emuOnce sync.Once
	emuPath string
	emuErr  error
	emu     *cudaDevice
}

// buildFake builds the fake driver (emulate: running kernels.cu on the
// host) in a new temporary folder whose name starts with name.
func buildFake(name string, emulate bool) (string, error) {
	dir, err := os.MkdirTemp("", name)
	if err != nil {
		return "", err
	}
	return cuda.BuildFake("internal/cuda/testdata/fakecuda.c", dir, emulate)
}

// needBuilt skips the test where no C compiler could build the fake
// driver and fails it on any other error.
func needBuilt(t testing.TB, err error) {
	t.Helper()
	if errors.Is(err, exec.ErrNotFound) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
}

func fakeCUDA(t testing.TB) (path string, withBlas, ownKernels *cudaDevice) {
	t.Helper()
	cudaFake.Do(func() {
		cudaFake.path, cudaFake.err = buildFake("fakecuda", false)
		if cudaFake.err == nil {
			cudaFake.blas = newCUDADevice("fakecuda:0", cuda.Options{Lib: cudaFake.path, Blas: cudaFake.path})
			cudaFake.own = newCUDADevice("fakecuda-own:0", cuda.Options{Lib: cudaFake.path, Blas: "off"})
		}
	})
	needBuilt(t, cudaFake.err)
	for _, d := range []*cudaDevice{cudaFake.blas, cudaFake.own} {
		if err := d.Available(); err != nil {
			t.Fatalf("fake driver: %v", err)
		}
	}
	return cudaFake.path, cudaFake.blas, cudaFake.own
}

// emuCUDA is the fake driver running the real kernels.cu on the host.
func emuCUDA(t testing.TB) (string, *cudaDevice) {
	t.Helper()
	cudaFake.emuOnce.Do(func() {
		cudaFake.emuPath, cudaFake.emuErr = buildFake("emucuda", true)
		if cudaFake.emuErr == nil {
			cudaFake.emu = newCUDADevice("emucuda:0", cuda.Options{Lib: cudaFake.emuPath, Blas: "off"})
		}
	})
	needBuilt(t, cudaFake.emuErr)
	if err := cudaFake.emu.Available(); err != nil {
		t.Fatalf("emulating driver: %v", err)
	}
	return cudaFake.emuPath, cudaFake.emu
}

var realOwn = newCUDADevice("cuda-own:0", cuda.Options{Blas: "off"})

// realCUDA returns the GPU, or skips (fails with ATTNVIZ_REQUIRE_CUDA=1).
func realCUDA(t testing.TB) *cudaDevice {
	t.Helper()
	c := CUDA.(*cudaDevice)
	if err := c.Available(); err != nil {
		if os.Getenv("ATTNVIZ_REQUIRE_CUDA") == "1" {
			t.Fatalf("ATTNVIZ_REQUIRE_CUDA=1 but %v", err)
		}
		t.Skipf("no GPU: %v", err)
	}
	return c
}

// cudaCase builds inputs on dev and returns the results to compare.
type cudaCase struct {
	name string
	run  func(dev Device) []*Tensor
}

func on(dev Device, t *Tensor) *Tensor { return t.To(dev) }

func rn(seed int64, shape ...int) *Tensor { return RandN(seed, shape...) }

func special() *Tensor {
	inf := float32(math.Inf(1))
	nan := float32(math.NaN())
	return MustFromRows([][]float32{
		{1, 2, 3, 4, 5},
		{-inf, -inf, -inf, -inf, -inf},
		{1, inf, 3, inf, -inf},
		{1, nan, 3, 4, 5},
		{-1e30, 1e30, 0, -88, 88},
		{7, 7, 7, 7, 7},
	})
}

func cudaCases() []cudaCase {
	one := func(f func(dev Device) *Tensor) func(Device) []*Tensor {
		return func(d Device) []*Tensor { return []*Tensor{f(d)} }
	}
	att := func(a *Attention) []*Tensor {
		if a.Err() != nil {
			return []*Tensor{Failed(a.Err())}
		}
		return []*Tensor{a.Scores, a.Scaled, a.Masked, a.Weights, a.Output}
	}
	cs := []cudaCase{
		{"Add", one(func(d Device) *Tensor { return on(d, rn(1, 3, 4, 5)).Add(on(d, rn(2, 3, 4, 5))) })},
		{"Add/broadcast", one(func(d Device) *Tensor { return on(d, rn(1, 2, 3, 4)).Add(on(d, rn(2, 4))) })},
		{"Sub/broadcast-both", one(func(d Device) *Tensor { return on(d, rn(1, 3, 1)).Sub(on(d, rn(2, 1, 4))) })},
		{"Mul/transposed-view", one(func(d Device) *Tensor { return on(d, rn(1, 6, 5)).T().Mul(on(d, rn(2, 5, 6))) })},
		{"Div/by-zero", one(func(d Device) *Tensor { return on(d, special()).Div(on(d, Zeros(5).Add(Arange(0, 5, 1)))) })},
		{"Add/8-dims", one(func(d Device) *Tensor {
			a := on(d, rn(1, 2, 1, 2, 2, 2, 2, 2, 2, 1, 3))
			return a.Permute(9, 8, 7, 6, 5, 4, 3, 2, 1, 0).Add(on(d, rn(2, 3, 1, 2, 2, 2, 2, 2, 1, 1, 2)))
		})},
		{"Add/9-dims/fallback", one(func(d Device) *Tensor {
			a := on(d, rn(1, 2, 2, 2, 2, 2, 2, 2, 2, 2))
			return a.Permute(8, 7, 6, 5, 4, 3, 2, 1, 0).Add(on(d, rn(2, 2, 2, 2, 2, 2, 2, 2, 2, 2)))
		})},
		{"Scale", one(func(d Device) *Tensor { return on(d, rn(1, 4, 7)).Scale(0.125) })},
		{"AddScalar", one(func(d Device) *Tensor { return on(d, rn(1, 4, 7)).AddScalar(-3) })},
		{"Neg/slice-view", one(func(d Device) *Tensor { return on(d, rn(1, 4, 7)).Slice(1, 2, 6).Neg() })},
		{"Exp", one(func(d Device) *Tensor { return on(d, special()).Exp() })},
		{"Exp/range", one(func(d Device) *Tensor { return on(d, Arange(-100, 90, 0.37)).Exp() })},
		{"SiLU", one(func(d Device) *Tensor { return on(d, special()).SiLU() })},
		{"SiLU/range", one(func(d Device) *Tensor { return on(d, Arange(-100, 90, 0.37)).SiLU() })},
		{"MaskedFill/causal", one(func(d Device) *Tensor {
			return on(d, rn(1, 2, 5, 5)).MaskedFill(on(d, CausalMask(5)).Eq0(), float32(math.Inf(-1)))
		})},
		{"MaskedFill/padding", one(func(d Device) *Tensor {
			return on(d, rn(1, 2, 3, 4)).MaskedFill(on(d, PaddingMask([]int{2, 4}, 4)), 9)
		})},
		{"Softmax/last", one(func(d Device) *Tensor { return on(d, rn(1, 3, 4, 300)).Softmax(-1) })},
		{"Softmax/special", one(func(d Device) *Tensor { return on(d, special()).Softmax(-1) })},
		{"Softmax/dim0", one(func(d Device) *Tensor { return on(d, rn(1, 5, 3, 4)).Softmax(0) })},
		{"Softmax/middle-special", one(func(d Device) *Tensor { return on(d, special()).Softmax(0) })},
		{"Softmax/long-rows", one(func(d Device) *Tensor { return on(d, rn(1, 3, 5000)).Softmax(-1) })},
		{"SoftmaxTemp", one(func(d Device) *Tensor { return on(d, rn(1, 6, 9)).SoftmaxTemp(-1, 0.5) })},
		{"Softmax/transposed", one(func(d Device) *Tensor { return on(d, rn(1, 6, 9)).T().Softmax(-1) })},
		{"RMSNorm", one(func(d Device) *Tensor { return on(d, rn(1, 3, 5, 16)).RMSNorm(on(d, rn(2, 16)), 1e-5) })},
		{"RMSNorm/nil-weight", one(func(d Device) *Tensor { return on(d, rn(1, 7, 300)).RMSNorm(nil, 1e-6) })},
		{"RoPEInterleaved", one(func(d Device) *Tensor { return RoPEInterleaved(on(d, rn(1, 2, 6, 8)), 10000, 3) })},
		{"RoPEHalf", one(func(d Device) *Tensor { return RoPEHalf(on(d, rn(1, 2, 6, 8)), 500000, 0) })},
		{"RoPEHalf/view", one(func(d Device) *Tensor { return RoPEHalf(on(d, rn(1, 6, 2, 8)).Transpose(0, 1), 10000, 5) })},
		{"MatMul", one(func(d Device) *Tensor { return on(d, rn(1, 5, 7)).MatMul(on(d, rn(2, 7, 3))) })},
		{"MatMul/tiles", one(func(d Device) *Tensor { return on(d, rn(1, 130, 70)).MatMul(on(d, rn(2, 70, 90))) })},
		{"MatMul/kT", one(func(d Device) *Tensor { return on(d, rn(1, 3, 33, 16)).MatMul(on(d, rn(2, 3, 40, 16)).T()) })},
		{"MatMul/aT", one(func(d Device) *Tensor { return on(d, rn(1, 16, 33)).T().MatMul(on(d, rn(2, 16, 20))) })},
		{"MatMul/broadcast", one(func(d Device) *Tensor { return on(d, rn(1, 2, 1, 6, 5)).MatMul(on(d, rn(2, 3, 5, 4))) })},
		{"MatMul/broadcast-2d", one(func(d Device) *Tensor { return on(d, rn(1, 2, 3, 6, 5)).MatMul(on(d, rn(2, 5, 4))) })},
		{"MatMul/heads-view", one(func(d Device) *Tensor {
			x := on(d, rn(1, 10, 4, 8)).Transpose(0, 1) // [4,10,8] with strided batch
			return x.MatMul(x.T())
		})},
		{"MatMul/vector", one(func(d Device) *Tensor { return on(d, rn(1, 5, 7)).MatMul(on(d, rn(2, 7))) })},
		{"MatMul/row-vector", one(func(d Device) *Tensor { return on(d, rn(1, 7)).MatMul(on(d, rn(2, 7, 3))) })},
		{"MatMul/k=0", one(func(d Device) *Tensor { return on(d, Zeros(3, 0)).MatMul(on(d, Zeros(0, 4))) })},
		{"MatMul/outer", one(func(d Device) *Tensor { return on(d, rn(1, 6, 1)).MatMul(on(d, rn(2, 1, 5))) })},
		{"SDPA", func(d Device) []*Tensor {
			return att(ScaledDotProductAttention(on(d, rn(1, 2, 3, 9, 8)), on(d, rn(2, 2, 3, 11, 8)), on(d, rn(3, 2, 3, 11, 5)), nil))
		}},
		{"SDPA/causal", func(d Device) []*Tensor {
			return att(ScaledDotProductAttention(on(d, rn(1, 2, 40, 16)), on(d, rn(2, 2, 40, 16)), on(d, rn(3, 2, 40, 16)), on(d, CausalMask(40))))
		}},
		{"SDPA/padding-empty-row", func(d Device) []*Tensor {
			m := on(d, PaddingMask([]int{3, 0}, 6)).Unsqueeze(1) // [2,1,1,6]; batch 1 attends nothing
			return att(ScaledDotProductAttention(on(d, rn(1, 2, 2, 6, 4)), on(d, rn(2, 2, 2, 6, 4)), on(d, rn(3, 2, 2, 6, 4)), m))
		}},
		{"SDPA/long-rows", func(d Device) []*Tensor {
			m := on(d, PaddingMask([]int{3000}, 4200)) // [1,1,4200]
			return att(ScaledDotProductAttention(on(d, rn(1, 1, 2, 8)), on(d, rn(2, 1, 4200, 8)), on(d, rn(3, 1, 4200, 4)), m))
		}},
		{"SDPA/long-rows-nomask", func(d Device) []*Tensor {
			return att(ScaledDotProductAttention(on(d, rn(1, 1, 2, 8)), on(d, rn(2, 1, 4200, 8)), on(d, rn(3, 1, 4200, 4)), nil))
		}},
		{"SDPA/split-heads", func(d Device) []*Tensor {
			x := on(d, rn(1, 12, 32))
			q := SplitHeads(x, 4)
			return att(ScaledDotProductAttention(q, q, q, on(d, CausalMask(12))))
		}},
		{"SDPA/broadcast-kv", func(d Device) []*Tensor {
			return att(ScaledDotProductAttention(on(d, rn(1, 4, 5, 8)), on(d, rn(2, 5, 8)), on(d, rn(3, 1, 5, 8)), nil))
		}},
		{"GQA", func(d Device) []*Tensor {
			return att(GroupedQueryAttention(on(d, rn(1, 4, 7, 8)), on(d, rn(2, 2, 7, 8)), on(d, rn(3, 2, 7, 8)), on(d, CausalMask(7))))
		}},
		{"MergeHeads/fallback", one(func(d Device) *Tensor { return MergeHeads(on(d, rn(1, 4, 6, 8))) })},
		{"AttentionWeights", func(d Device) []*Tensor {
			a := AttentionWeights(on(d, rn(1, 4, 7, 8)), on(d, rn(2, 2, 7, 8)), on(d, rn(3, 2, 7, 8)), true)
			return []*Tensor{a.Weights, a.Output}
		}},
		{"AttentionWeightsInto", func(d Device) []*Tensor {
			rec := on(d, Full(3, 2, 4, 7, 7))
			a := AttentionWeightsInto(rec.Index(1), on(d, rn(1, 4, 7, 8)), on(d, rn(2, 2, 7, 8)), on(d, rn(3, 2, 7, 8)), false)
			if a.Err() != nil {
				return []*Tensor{Failed(a.Err())}
			}
			return []*Tensor{rec, a.Output}
		}},
	}
	for _, op := range []opKind{opSum, opMax, opMean, opArgmax} {
		for _, dim := range []int{0, 1, -1} {
			cs = append(cs, cudaCase{fmt.Sprintf("%s/dim%d", op, dim), one(func(d Device) *Tensor {
				x := on(d, rn(1, 4, 5, 300))
				return reduce(op, x, dim)
			})})
		}
		cs = append(cs, cudaCase{op.String() + "/special", one(func(d Device) *Tensor { return reduce(op, on(d, special()), -1) })})
		cs = append(cs, cudaCase{op.String() + "/special-dim0", one(func(d Device) *Tensor { return reduce(op, on(d, special()), 0) })})
		cs = append(cs, cudaCase{op.String() + "/transposed", one(func(d Device) *Tensor { return reduce(op, on(d, rn(1, 6, 9)).T(), 1) })})
	}
	return cs
}

// closeEnough compares like torch.allclose with NaN == NaN and exact Inf;
// the absolute tolerance grows with the largest finite |want| (1e-5 of it),
// since sums of products in another order differ by that much where they
// cancel to nearly zero.
func closeEnough(got, want []float32, rtol, atol float64) (int, bool) {
	if len(got) != len(want) {
		return -1, false
	}
	big := 0.0
	for _, w := range want {
		if a := math.Abs(float64(w)); !math.IsInf(a, 0) && a > big {
			big = a
		}
	}
	atol += 1e-5 * big
	for i := range want {
		g, w := float64(got[i]), float64(want[i])
		switch {
		case math.IsNaN(w) || math.IsNaN(g):
			if math.IsNaN(w) != math.IsNaN(g) {
				return i, false
			}
		case math.IsInf(w, 0) || math.IsInf(g, 0):
			if g != w {
				return i, false
			}
		case math.Abs(g-w) > atol+rtol*math.Abs(w):
			return i, false
		}
	}
	return 0, true
}

func checkCUDACases(t *testing.T, dev Device, launches func() int64) {
	for _, c := range cudaCases() {
		t.Run(c.name, func(t *testing.T) {
			want := c.run(CPU)
			var before int64
			if launches != nil {
				before = launches()
			}
			got := c.run(dev)
			if len(got) != len(want) {
				t.Fatalf("%d results, want %d", len(got), len(want))
			}
			for i := range want {
				if err := want[i].Err(); err != nil {
					t.Fatalf("cpu: %v", err)
				}
				if err := got[i].Err(); err != nil {
					t.Fatalf("%s: %v", dev.Name(), err)
				}
				if got[i].Device() != dev {
					t.Errorf("result %d is on %s, want %s", i, got[i].Device().Name(), dev.Name())
				}
				if !slices.Equal(got[i].Shape(), want[i].Shape()) {
					t.Fatalf("result %d: shape %v, want %v", i, got[i].Shape(), want[i].Shape())
				}
				g, err := got[i].DataErr()
				if err != nil {
					t.Fatal(err)
				}
				w := want[i].Data()
				if j, ok := closeEnough(g, w, 2e-5, 2e-6); !ok {
					if j < 0 {
						t.Fatalf("result %d: %d values, want %d", i, len(g), len(w))
					}
					t.Fatalf("result %d differs at %d: %s gives %v, cpu %v", i, j, dev.Name(), g[j], w[j])
				}
			}
			if launches != nil && launches() == before && !strings.HasSuffix(c.name, "k=0") && !strings.HasSuffix(c.name, "/fallback") {
				t.Errorf("no kernel ran on %s: the op fell back to the CPU", dev.Name())
			}
		})
	}
}

func TestCUDAFakeOps(t *testing.T) {
	path, withBlas, own := fakeCUDA(t)
	launches := func() int64 {
		n, err := cuda.FakeLaunches(path)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	t.Run("cublas", func(t *testing.T) { checkCUDACases(t, withBlas, launches) })
	t.Run("kernels", func(t *testing.T) { checkCUDACases(t, own, launches) })
}

// The real kernel source, emulated on the host (slower: a thread per
// CUDA thread).
func TestCUDAEmulatedKernels(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	path, emu := emuCUDA(t)
	checkCUDACases(t, emu, func() int64 {
		n, err := cuda.FakeLaunches(path)
		if err != nil {
			t.Fatal(err)
		}
		return n
	})
}

func TestCUDAOps(t *testing.T) {
	dev := realCUDA(t)
	t.Logf("GPU: %v", dev)
	t.Run("default", func(t *testing.T) { checkCUDACases(t, dev, nil) })
	if err := realOwn.Available(); err != nil {
		t.Fatal(err)
	}
	t.Run("own-kernels", func(t *testing.T) { checkCUDACases(t, realOwn, nil) })
}

// Larger attention on the real GPU against the CPU (tolerance for the
// different summation orders of 64- and 1024-long dot products).
func TestCUDAAttentionLarge(t *testing.T) {
	dev := realCUDA(t)
	for _, d := range []*cudaDevice{dev, realOwn} {
		if err := d.Available(); err != nil {
			t.Fatal(err)
		}
		q, k, v := rn(1, 4, 1024, 64), rn(2, 4, 1024, 64), rn(3, 4, 1024, 64)
		want := ScaledDotProductAttention(q, k, v, CausalMask(1024))
		got := ScaledDotProductAttention(q.To(d), k.To(d), v.To(d), CausalMask(1024).To(d))
		if err := got.Err(); err != nil {
			t.Fatal(err)
		}
		for i, pair := range [][2]*Tensor{{got.Scores, want.Scores}, {got.Weights, want.Weights}, {got.Output, want.Output}} {
			if j, ok := closeEnough(pair[0].Data(), pair[1].Data(), 1e-4, 1e-5); !ok {
				t.Errorf("%s: result %d differs at %d", d.Name(), i, j)
			}
		}
	}
}

func TestCUDADevicesAndErrors(t *testing.T) {
	_, fk, _ := fakeCUDA(t)
	if !strings.Contains(fmt.Sprint(fk), "Fake CUDA GPU") {
		t.Errorf("String() = %v", fk)
	}
	a := rn(1, 3, 4)
	// mixed devices: the error says how to move them
	err := a.Add(a.To(fk)).Err()
	if !errors.Is(err, ErrDevice) || !strings.Contains(err.Error(), "t.To(") {
		t.Errorf("mixed devices: %v", err)
	}
	// a missing driver: the reason names the library
	missing := newCUDADevice("cuda:9", cuda.Options{Lib: "/nonexistent/libcuda.so.1"})
	err = missing.Available()
	if err == nil || !strings.Contains(err.Error(), "/nonexistent/libcuda.so.1") {
		t.Errorf("missing driver: %v", err)
	}
	if err := a.To(missing).Err(); !errors.Is(err, ErrDevice) || !strings.Contains(err.Error(), "libcuda") {
		t.Errorf("To(missing): %v", err)
	}
	if !strings.Contains(fmt.Sprint(missing), "not available") {
		t.Errorf("String() = %v", missing)
	}
	// Lookup("cuda") works or explains itself
	if _, err := Lookup("cuda"); err != nil {
		if !errors.Is(err, ErrDevice) || !strings.Contains(err.Error(), "cuda:0") {
			t.Errorf("Lookup(cuda): %v", err)
		}
		t.Logf("Lookup(cuda): %v", err)
	}
	// round trip, views and host access on the device
	x := Arange(0, 24, 1).Reshape(2, 3, 4).To(fk)
	if got := x.Index(1).T().Data(); got[1] != 16 || x.At(1, 2, 3) != 23 {
		t.Errorf("views on device: %v", got)
	}
	if s := x.String(); !strings.Contains(s, "device=fakecuda:0") {
		t.Errorf("String: %s", s)
	}
	// Clone and Contiguous stay on the device
	if c := x.Permute(2, 1, 0).Contiguous(); c.Device() != fk || c.At(3, 2, 1) != 23 {
		t.Errorf("Contiguous: %v %v", c.Device().Name(), c.Data())
	}
	// an op the device does not implement runs on the CPU and comes back
	if e := x.Eq0(); e.Device() != fk || e.At(0, 0, 0) != 1 || e.At(0, 0, 1) != 0 {
		t.Errorf("fallback: %v", e)
	}
}

func TestCUDADownloadRange(t *testing.T) {
	_, fk, _ := fakeCUDA(t)
	x := Arange(0, 60, 1).To(fk)
	dst := make([]float32, 5)
	if err := x.buf.(cudaBuf).downloadRange(dst, 10); err != nil || dst[0] != 10 || dst[4] != 14 {
		t.Fatalf("downloadRange: %v %v", dst, err)
	}
	if err := x.buf.(cudaBuf).downloadRange(dst, 58); err == nil {
		t.Fatal("out of range accepted")
	}
}

func TestCUDADeviceClone(t *testing.T) {
	_, fk, _ := fakeCUDA(t)
	x := Arange(0, 60, 1).Reshape(3, 4, 5)
	v := x.To(fk).Permute(2, 0, 1).Slice(1, 1, 3)
	c, err := fk.deviceClone(v, nil)
	if err != nil || c == nil {
		t.Fatal(c, err)
	}
	want := x.Permute(2, 0, 1).Slice(1, 1, 3).Data()
	if j, ok := closeEnough(c.Data(), want, 0, 0); !ok || !c.IsContiguous() || c.Device() != fk {
		t.Fatalf("deviceClone differs at %d: %v vs %v", j, c.Data(), want)
	}
}

// Repeated attention under a small memory limit: the results of earlier
// iterations become garbage, and allocation must collect and reuse them
// instead of failing.
func TestCUDAMemoryPressure(t *testing.T) {
	path, _, _ := fakeCUDA(t)
	d := newCUDADevice("fakecuda-mem:0", cuda.Options{Lib: path, Blas: "off"})
	q := rn(1, 4, 64, 16).To(d)
	if err := cuda.FakeSet(path, "mem_limit", 8<<20); err != nil { // each call makes ~200 KiB
		t.Fatal(err)
	}
	defer cuda.FakeSet(path, "mem_limit", 0)
	for i := 0; i < 200; i++ {
		a := ScaledDotProductAttention(q, q, q, nil)
		if err := a.Err(); err != nil {
			t.Fatalf("iteration %d: %v", i, err)
		}
	}
}
