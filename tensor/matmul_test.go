package tensor

import (
	"math"
	"testing"
)

// TestKernels runs the matmul, softmax and attention references with every
// micro-kernel this CPU supports (the portable Go kernel always).
func TestKernels(t *testing.T) {
	for _, c := range supportedKernels() {
		t.Run(c.name, func(t *testing.T) {
			old := c.use()
			defer old.use()
			for _, f := range []string{"matmul.json", "softmax.json", "attention.json"} {
				testRefFile(t, f)
			}
			// A larger product against a float64 naive one, with edges in
			// every direction and k over several packed blocks.
			for _, sz := range [][3]int{{1, 1, 1}, {7, 5, 3}, {33, 300, 70}, {100, 64, 129}, {8, 600, 32}} {
				m, k, n := sz[0], sz[1], sz[2]
				a, b := RandN(1, m, k), RandN(2, n, k)
				got := a.MatMul(b.T()).Data()
				want := naiveMatMul(a.Data(), b.T().Data(), m, k, n)
				for i := range got {
					if math.Abs(float64(got[i]-want[i])) > 1e-5*math.Sqrt(float64(k))*(1+math.Abs(float64(want[i]))) {
						t.Fatalf("%v: element %d = %v, want %v", sz, i, got[i], want[i])
					}
				}
			}
		})
	}
}

func naiveMatMul(a, b []float32, m, k, n int) []float32 {
	c := make([]float32, m*n)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s float64
			for p := 0; p < k; p++ {
				s += float64(a[i*k+p]) * float64(b[p*n+j])
			}
			c[i*n+j] = float32(s)
		}
	}
	return c
}

// TestExpf checks the float32 exp against math.Exp over its range.
func TestExpf(t *testing.T) {
	worst := 0.0
	for x := float32(-86); x < 88; x += 0.0137 {
		got := float64(expf(x))
		want := math.Exp(float64(x))
		if r := math.Abs(got-want) / want; r > worst {
			worst = r
		}
	}
	if worst > 3e-7 {
		t.Errorf("expf: worst relative error %.3g, want ≤ 3e-7", worst)
	}
	for _, c := range []struct{ x, want float32 }{
		{float32(math.Inf(-1)), 0}, {-87, 0}, {-1000, 0}, {0, 1}, {float32(math.Inf(1)), float32(math.Inf(1))},
	} {
		if got := expf(c.x); got != c.want {
			t.Errorf("expf(%v) = %v, want %v", c.x, got, c.want)
		}
	}
	if got := expf(float32(math.NaN())); got == got {
		t.Errorf("expf(NaN) = %v, want NaN", got)
	}
	// The vector kernel agrees with the scalar one.
	src := make([]float32, 1003)
	for i := range src {
		src[i] = -90 + float32(i)*0.09
	}
	dst := make([]float32, len(src))
	sum := expSubSum(dst, src, 0)
	var want float64
	for i, x := range src {
		e := expf(x)
		want += float64(e)
		if d := math.Abs(float64(dst[i] - e)); d > 2e-7*float64(e) {
			t.Fatalf("vector exp(%v) = %v, scalar %v", x, dst[i], e)
		}
	}
	if math.Abs(float64(sum)-want) > 1e-5*want {
		t.Errorf("sum %v, want %v", sum, want)
	}
}
