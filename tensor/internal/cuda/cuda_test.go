package cuda

import (
	"errors"
	"math"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
	"unsafe"
)

var fakeOnce struct {
	sync.Once
	path string
	err  error
}

// openFake opens the fake driver (with its fake cuBLAS when blas) and
// returns the device and the library's path.
func openFake(t *testing.T, blas bool) (*Device, string) {
	t.Helper()
	path := fake(t)
	o := Options{Lib: path, Blas: "off"}
	if blas {
		o.Blas = path
	}
	d, err := Open(o)
	if err != nil {
		t.Fatal(err)
	}
	return d, path
}

// fake builds the fake driver once per test binary; it skips when gcc is
// missing (the only reason it may).
func fake(t *testing.T) string {
	t.Helper()
	if !haveLoader {
		t.Skip("no CUDA loader on " + runtime.GOOS + "/" + runtime.GOARCH)
	}
	fakeOnce.Do(func() {
		dir, err := os.MkdirTemp("", "fakecuda")
		if err != nil {
			fakeOnce.err = err
			return
		}
		fakeOnce.path, fakeOnce.err = BuildFake("testdata/fakecuda.c", dir, false)
	})
	if errors.Is(fakeOnce.err, exec.ErrNotFound) {
		t.Skip(fakeOnce.err)
	}
	if fakeOnce.err != nil {
		t.Fatal(fakeOnce.err)
	}
	return fakeOnce.path
}

// knob sets a fake driver knob through the library itself.
func knob(t *testing.T, path, key string, v int64) {
	t.Helper()
	l, err := openLib(path, []string{"fakecuda_set"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	k := append([]byte(key), 0)
	var pin runtime.Pinner
	pin.Pin(&k[0])
	defer pin.Unpin()
	if r := l.call("fakecuda_set", uintptr(unsafe.Pointer(&k[0])), uintptr(v)); r != 0 {
		t.Fatalf("fakecuda_set(%s) = %d", key, r)
	}
}

// launchUnary runs ew_unary with code (parameters p, q) over x on d, with
// grid blocks of 256 threads, and returns what it wrote.
func launchUnary(t *testing.T, d *Device, x []float32, code Code, p, q float32, grid uint32) []float32 {
	t.Helper()
	b, err := d.Upload(x)
	if err != nil {
		t.Fatal(err)
	}
	out, err := d.Alloc(len(x), false)
	if err != nil {
		t.Fatal(err)
	}
	L := Layout{ND: 1}
	L.Shape[0], L.SA[0] = int64(len(x)), 1
	if err := d.Launch("ew_unary", Dim3{grid, 1, 1}, Dim3{256, 1, 1}, out.Ptr(0), b.Ptr(0), L, int64(len(x)), code, p, q); err != nil {
		t.Fatal(err)
	}
	if err := d.Sync(); err != nil {
		t.Fatal(err)
	}
	got := make([]float32, len(x))
	if err := out.Download(got); err != nil {
		t.Fatal(err)
	}
	return got
}

func TestFakeRoundTripAndLaunch(t *testing.T) {
	d, _ := openFake(t, false)
	if !strings.Contains(d.String(), "Fake CUDA GPU") || !strings.Contains(d.String(), "sm_80") {
		t.Errorf("String() = %q", d.String())
	}
	x := []float32{1, -2, 3, 0.5, -88, 89, 0, float32(math.Inf(-1))}
	b, err := d.Upload(x)
	if err != nil {
		t.Fatal(err)
	}
	got := make([]float32, len(x))
	if err := b.Download(got); err != nil {
		t.Fatal(err)
	}
	for i := range x {
		if got[i] != x[i] {
			t.Fatalf("round trip: %v, want %v", got, x)
		}
	}
	// affine: x·2 + 1
	got = launchUnary(t, d, x, UnaryAffine, 2, 1, 1)
	for i := range x {
		if want := x[i]*2 + 1; got[i] != want {
			t.Fatalf("affine[%d] = %v, want %v", i, got[i], want)
		}
	}
	// exp: the kernels' own expf against math.Exp
	got = launchUnary(t, d, x, UnaryExp, 0, 0, 1)
	for i := range x {
		want := float64(float32(math.Exp(float64(x[i]))))
		if math.Abs(float64(got[i])-want) > 2e-7*math.Abs(want) && !(math.IsInf(want, 1) && math.IsInf(float64(got[i]), 1)) {
			t.Errorf("exp(%v) = %v, want %v", x[i], got[i], want)
		}
	}
	if err := d.Sync(); err != nil {
		t.Fatal(err)
	}
}

// expSweep runs the exp kernel (on grid blocks) over [−104, 89) in
// steps of 0.0137: from float32's subnormal results past its overflow. It
// returns the inputs and the results.
func expSweep(t *testing.T, d *Device, grid uint32) (x, got []float32) {
	t.Helper()
	for v := -104.0; v < 89; v += 0.0137 {
		x = append(x, float32(v))
	}
	return x, launchUnary(t, d, x, UnaryExp, 0, 0, grid)
}

func TestFakeExpAccuracy(t *testing.T) {
	d, _ := openFake(t, false)
	x, got := expSweep(t, d, 64)
	worst := 0.0
	for i, v := range x {
		want := math.Exp(float64(v))
		if math.IsInf(float64(float32(want)), 1) {
			if !math.IsInf(float64(got[i]), 1) {
				t.Errorf("exp(%v) = %g, want +Inf", v, got[i])
			}
			continue
		}
		if want < 1.2e-38 { // subnormal results: absolute error
			if e := math.Abs(float64(got[i]) - want); e > 2e-45 {
				t.Errorf("exp(%v) = %g, want %g", v, got[i], want)
			}
			continue
		}
		rel := math.Abs(float64(got[i])-want) / want
		worst = math.Max(worst, rel)
	}
	if worst > 3e-7 {
		t.Errorf("exp: worst relative error %.3g, want ≤ 3e-7 (2.5 ulp)", worst)
	}
	t.Logf("exp over [-104, 89]: worst relative error %.3g", worst)
}

func TestFakeGemm(t *testing.T) {
	d, _ := openFake(t, true)
	if ok, err := d.HasBlas(); !ok {
		t.Fatalf("fake cuBLAS not loaded: %v", err)
	}
	// row-major A [2×3], B [3×2]: C = A·B via column-major Cᵀ = Bᵀ·Aᵀ
	a := []float32{1, 2, 3, 4, 5, 6}
	bm := []float32{7, 8, 9, 10, 11, 12}
	ab, _ := d.Upload(a)
	bb, _ := d.Upload(bm)
	cb, _ := d.Alloc(4, true)
	ok, err := d.Gemm(false, false, 2, 2, 3, 1, bb.Ptr(0), 2, 0, ab.Ptr(0), 3, 0, 0, cb.Ptr(0), 2, 0, 1)
	if !ok || err != nil {
		t.Fatal(ok, err)
	}
	got := make([]float32, 4)
	if err := cb.Download(got); err != nil {
		t.Fatal(err)
	}
	want := []float32{58, 64, 139, 154}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("gemm = %v, want %v", got, want)
		}
	}
	// a bad leading dimension is reported with cuBLAS's status name
	_, err = d.Gemm(false, false, 2, 2, 3, 1, bb.Ptr(0), 1, 0, ab.Ptr(0), 3, 0, 0, cb.Ptr(0), 2, 0, 1)
	if err == nil || !strings.Contains(err.Error(), "CUBLAS_STATUS_INVALID_VALUE") {
		t.Fatalf("bad ld: err = %v", err)
	}
}

func TestFakeErrors(t *testing.T) {
	path := fake(t)
	// missing library: the message names it
	_, err := Open(Options{Lib: "/nonexistent/libcuda.so.1"})
	if err == nil || !strings.Contains(err.Error(), "/nonexistent/libcuda.so.1") {
		t.Fatalf("missing library: %v", err)
	}
	// a library without the driver's symbols
	_, err = Open(Options{Lib: "libm.so.6"})
	if err == nil || !strings.Contains(err.Error(), "no symbol cuInit") {
		t.Fatalf("wrong library: %v", err)
	}
	// cuInit failure: the driver's error name and text
	knob(t, path, "fail_init", 1)
	_, err = Open(Options{Lib: path})
	knob(t, path, "fail_init", 0)
	var ce *Error
	if !errors.As(err, &ce) || ce.Call != "cuInit" || ce.Name != "CUDA_ERROR_NO_DEVICE" || !strings.Contains(err.Error(), "no CUDA-capable device") {
		t.Fatalf("cuInit failure: %v", err)
	}
	// JIT failure: the log comes back in the error
	knob(t, path, "bad_ptx", 1)
	_, err = Open(Options{Lib: path})
	knob(t, path, "bad_ptx", 0)
	if !errors.As(err, &ce) || ce.Call != "cuModuleLoadDataEx" || !strings.Contains(ce.Log, "fake JIT failure") {
		t.Fatalf("JIT failure: %v", err)
	}
	// a kernel that is not in the module
	d, err := Open(Options{Lib: path, Blas: "off"})
	if err != nil {
		t.Fatal(err)
	}
	err = d.Launch("no_such_kernel", Dim3{1, 1, 1}, Dim3{1, 1, 1})
	if !errors.As(err, &ce) || ce.Name != "CUDA_ERROR_NOT_FOUND" {
		t.Fatalf("unknown kernel: %v", err)
	}
	if err := d.Launch("ew_unary", Dim3{1, 1, 1}, Dim3{1, 1, 1}, "string"); err == nil {
		t.Fatal("bad argument type accepted")
	}
	// a pointer outside every allocation is caught by the fake
	L := Layout{ND: 1}
	L.Shape[0], L.SA[0] = 4, 1
	err = d.Launch("ew_unary", Dim3{1, 1, 1}, Dim3{256, 1, 1}, Ptr(64), Ptr(128), L, int64(4), UnaryCopy, float32(0), float32(0))
	if !errors.As(err, &ce) || ce.Name != "CUDA_ERROR_ILLEGAL_ADDRESS" {
		t.Fatalf("wild pointer: %v", err)
	}
	d.Sync() // clear the sticky error
	// too many threads per block
	b, _ := d.Alloc(4, true)
	err = d.Launch("ew_unary", Dim3{1, 1, 1}, Dim3{2048, 1, 1}, b.Ptr(0), b.Ptr(0), L, int64(4), UnaryCopy, float32(0), float32(0))
	if !errors.As(err, &ce) || ce.Name != "CUDA_ERROR_INVALID_VALUE" {
		t.Fatalf("block too big: %v", err)
	}
	runtime.KeepAlive(b)
}

// Out of memory: unreachable buffers are collected, cached and freed so
// the allocation succeeds; a request that can never fit reports OOM.
func TestFakeMemoryReuse(t *testing.T) {
	d, path := openFake(t, false)
	l, err := openLib(path, []string{"fakecuda_live_bytes"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	base := l.call("fakecuda_live_bytes")
	knob(t, path, "mem_limit", int64(base)+10<<20)
	defer knob(t, path, "mem_limit", 0)
	for i := 0; i < 20; i++ { // 20 × 4 MiB through a 10 MiB limit
		b, err := d.Alloc(1<<20, false)
		if err != nil {
			t.Fatalf("alloc %d: %v", i, err)
		}
		_ = b
	}
	_, err = d.Alloc(4<<20, false)
	var ce *Error
	if !errors.As(err, &ce) || ce.Name != "CUDA_ERROR_OUT_OF_MEMORY" || !strings.Contains(err.Error(), "16 MiB") {
		t.Fatalf("impossible alloc: %v", err)
	}
	// everything unreachable is returned eventually
	knob(t, path, "mem_limit", 0)
	runtime.GC()
	deadline := time.Now().Add(2 * time.Second)
	for d.Live() != 0 && time.Now().Before(deadline) {
		runtime.GC()
		time.Sleep(5 * time.Millisecond)
	}
	if n := d.Live(); n != 0 {
		t.Errorf("%d bytes still live after GC", n)
	}
}

// TestRealDevice opens the GPU's driver, JIT-compiles the PTX and checks
// one launch and the kernels' exp on the hardware. It skips without a GPU
// unless ATTNVIZ_REQUIRE_CUDA=1.
func TestRealDevice(t *testing.T) {
	d, err := Open(Options{})
	if err != nil {
		if os.Getenv("ATTNVIZ_REQUIRE_CUDA") == "1" {
			t.Fatalf("ATTNVIZ_REQUIRE_CUDA=1 but %v", err)
		}
		t.Skipf("no GPU: %v", err)
	}
	t.Logf("device: %v", d)
	x, got := expSweep(t, d, 16)
	worst := 0.0
	for i, v := range x {
		want := math.Exp(float64(v))
		if math.IsInf(float64(float32(want)), 1) || want < 1.2e-38 {
			continue
		}
		worst = math.Max(worst, math.Abs(float64(got[i])-want)/want)
	}
	t.Logf("GPU exp: worst relative error %.3g", worst)
	if worst > 3e-7 {
		t.Errorf("GPU exp: worst relative error %.3g, want ≤ 3e-7", worst)
	}
	// an error from the real driver reads well
	_, err = d.Alloc(1<<40, false) // 4 TiB
	if err == nil || !strings.Contains(err.Error(), "CUDA_ERROR_OUT_OF_MEMORY") {
		t.Errorf("huge alloc: %v", err)
	}
	t.Logf("huge alloc: %v", err)
}
