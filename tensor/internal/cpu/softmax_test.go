package cpu

import (
	"math"
	"os"
	"strings"
	"testing"
)

// TestExpf checks the float32 exp against math.Exp over its range.
func TestExpf(t *testing.T) {
	worst := 0.0
	for x := float32(-86); x < 88; x += 0.0137 {
		got := float64(Expf(x))
		want := math.Exp(float64(x))
		if r := math.Abs(got-want) / want; r > worst {
			worst = r
		}
	}
	if worst > 3e-7 {
		t.Errorf("Expf: worst relative error %.3g, want ≤ 3e-7", worst)
	}
	for _, c := range []struct{ x, want float32 }{
		{float32(math.Inf(-1)), 0}, {-87, 0}, {-1000, 0}, {0, 1}, {float32(math.Inf(1)), float32(math.Inf(1))},
	} {
		if got := Expf(c.x); got != c.want {
			t.Errorf("Expf(%v) = %v, want %v", c.x, got, c.want)
		}
	}
	if got := Expf(float32(math.NaN())); got == got {
		t.Errorf("Expf(NaN) = %v, want NaN", got)
	}
	// The vector kernel agrees with the scalar one.
	src := make([]float32, 1003)
	for i := range src {
		src[i] = -90 + float32(i)*0.09
	}
	dst := make([]float32, len(src))
	sum := ExpSubSum(dst, src, 0)
	var want float64
	for i, x := range src {
		e := Expf(x)
		want += float64(e)
		if d := math.Abs(float64(dst[i] - e)); d > 2e-7*float64(e) {
			t.Fatalf("vector exp(%v) = %v, scalar %v", x, dst[i], e)
		}
	}
	if math.Abs(float64(sum)-want) > 1e-5*want {
		t.Errorf("sum %v, want %v", sum, want)
	}
}

// TestSiLUSlice: the vector SiLU agrees with the scalar formula over the
// whole range, including ±Inf, NaN and arguments past exp's range.
func TestSiLUSlice(t *testing.T) {
	inf := float32(math.Inf(1))
	xs := []float32{-inf, inf, float32(math.NaN()), -1000, -100, -88.5, -87, 0, 87, 100, 1000}
	for x := float32(-95); x < 95; x += 0.173 {
		xs = append(xs, x)
	}
	// every tail length of the vector kernels, then the whole range
	for n := 1; n < 40; n++ {
		part := append([]float32(nil), xs[len(xs)-n:]...)
		siluSlice(part)
		for i, x := range xs[len(xs)-n:] {
			if want := x / (1 + Expf(-x)); math.Abs(float64(part[i]-want)) > 1e-6*math.Abs(float64(want))+1e-30 {
				t.Fatalf("n=%d: silu(%v) = %v, want %v", n, x, part[i], want)
			}
		}
	}
	got := append([]float32(nil), xs...)
	siluSlice(got)
	for i, x := range xs {
		want := x / (1 + Expf(-x))
		g := got[i]
		if want != want {
			if g == g {
				t.Errorf("silu(%v) = %v, want NaN", x, g)
			}
			continue
		}
		// (below −86 the vector kernels give ±0 where x/(1+e^−x) is
		// ≈ 1e-36: both are zero for any use)
		if d := math.Abs(float64(g - want)); d > 1e-6*math.Abs(float64(want)) && d > 1e-30 {
			t.Errorf("silu(%v) = %v, want %v", x, g, want)
		}
	}
}

// TestSIMDChoice: ATTNVIZ_SIMD=none (make test-portable) really runs the
// portable Go kernels, so that the suite run with it tests them.
func TestSIMDChoice(t *testing.T) {
	t.Logf("kernel in use: %s (vector row kernels: %v)", KernelName(), hasAVX2)
	switch os.Getenv("ATTNVIZ_SIMD") {
	case "none", "go":
		if KernelName() != goKernel.Name || hasAVX2 || gemmKernelRM != nil {
			t.Errorf("ATTNVIZ_SIMD=none but the kernel is %q (AVX2 rows %v)", KernelName(), hasAVX2)
		}
	case "avx2":
		if strings.Contains(KernelName(), "avx512") {
			t.Errorf("ATTNVIZ_SIMD=avx2 but the kernel is %q", KernelName())
		}
	}
}

// TestScaleMaxLanes: the maximum and the finiteness flag are right
// whichever kernel (16 lanes, 8 lanes, scalar tail) sees the extreme value.
func TestScaleMaxLanes(t *testing.T) {
	for _, n := range []int{5, 8, 16, 23, 32, 40, 47, 61} {
		for at := 0; at < n; at++ {
			for _, special := range []float32{1e6, float32(math.Inf(1)), float32(math.NaN())} {
				src := make([]float32, n)
				for i := range src {
					src[i] = float32(i%7) - 3
				}
				src[at] = special
				dst := make([]float32, n)
				m, finite := ScaleMax(dst, src, 0.5)
				if special == 1e6 {
					if m != 5e5 || !finite {
						t.Fatalf("n=%d at=%d: max %v finite %v, want 5e5 true", n, at, m, finite)
					}
				} else if finite {
					t.Fatalf("n=%d at=%d: %v not flagged", n, at, special)
				}
				for i := range src {
					if w := src[i] * 0.5; dst[i] != w && !(w != w && dst[i] != dst[i]) {
						t.Fatalf("n=%d: dst[%d] = %v, want %v", n, i, dst[i], w)
					}
				}
			}
		}
	}
	// ScaleSlice over every split of a row.
	for n := 0; n < 70; n++ {
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(i)
		}
		ScaleSlice(x, 2)
		for i, v := range x {
			if v != float32(2*i) {
				t.Fatalf("ScaleSlice n=%d: x[%d] = %v", n, i, v)
			}
		}
	}
}

// TestExpSubSumTails: every row length, so that the 16-lane kernel's
// masked tail (n mod 16 elements) and the 8-lane and scalar tails all agree
// with Expf, including arguments below −86 in the tail.
func TestExpSubSumTails(t *testing.T) {
	for n := 1; n < 70; n++ {
		src := make([]float32, n)
		for i := range src {
			src[i] = float32(i%11)*0.7 - 3
			if i%5 == 4 {
				src[i] = -200
			}
		}
		dst := make([]float32, n+3)
		for i := range dst {
			dst[i] = 42 // beyond n must stay untouched
		}
		sum := ExpScaleSubSum(dst[:n], src, 0.5, 1)
		var want float64
		for i, x := range src {
			e := Expf(x*0.5 - 1)
			want += float64(e)
			if math.Abs(float64(dst[i]-e)) > 2e-7*float64(e) {
				t.Fatalf("n=%d: exp at %d = %v, want %v", n, i, dst[i], e)
			}
		}
		if math.Abs(float64(sum)-want) > 1e-6*want {
			t.Fatalf("n=%d: sum %v, want %v", n, sum, want)
		}
		if dst[n] != 42 || dst[n+2] != 42 {
			t.Fatalf("n=%d: wrote past the row", n)
		}
	}
}
