package tensor

import (
	"math"
	"testing"

	"github.com/attnviz/attnviz/tensor/internal/cpu"
)

// TestKernels runs the matmul, softmax and attention references with every
// micro-kernel this CPU supports (the portable Go kernel always).
func TestKernels(t *testing.T) {
	for _, c := range cpu.Supported() {
		t.Run(c.Name, func(t *testing.T) {
			old := c.Use()
			defer old.Use()
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
