package tensor

import (
	"fmt"
	"testing"
)

// BenchmarkSDPA times ScaledDotProductAttention for 12 heads, dₕ = 64,
// keeping every intermediate (the shapes of scripts/bench_torch.py; `make
// bench` prints the ratio ours/torch).
func BenchmarkSDPA(b *testing.B) {
	for _, n := range []int{128, 512, 2048} {
		q := RandN(1, 12, n, 64)
		k := RandN(2, 12, n, 64)
		v := RandN(3, 12, n, 64)
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			c := startCPU()
			for i := 0; i < b.N; i++ {
				a := ScaledDotProductAttention(q, k, v, nil)
				if a.Err() != nil {
					b.Fatal(a.Err())
				}
			}
			c.report(b)
		})
	}
}

// BenchmarkSDPACausal is BenchmarkSDPA with a causal mask.
func BenchmarkSDPACausal(b *testing.B) {
	for _, n := range []int{512} {
		q := RandN(1, 12, n, 64)
		k := RandN(2, 12, n, 64)
		v := RandN(3, 12, n, 64)
		m := CausalMask(n)
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if a := ScaledDotProductAttention(q, k, v, m); a.Err() != nil {
					b.Fatal(a.Err())
				}
			}
		})
	}
}

// BenchmarkMatMul times the batched GEMM on QKᵀ shapes.
func BenchmarkMatMul(b *testing.B) {
	for _, n := range []int{512} {
		q := RandN(1, 12, n, 64)
		k := RandN(2, 12, n, 64)
		b.Run(fmt.Sprintf("QKT/n=%d", n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if r := q.MatMul(k.T()); r.Err() != nil {
					b.Fatal(r.Err())
				}
			}
		})
	}
}

// BenchmarkMatMulSquare times n × n products (the matmul rows of `make
// bench`, which runs torch's a @ b on the same sizes).
func BenchmarkMatMulSquare(b *testing.B) {
	for _, n := range []int{128, 1024, 2048} {
		x, y := RandN(1, n, n), RandN(2, n, n)
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			c := startCPU()
			for i := 0; i < b.N; i++ {
				if r := x.MatMul(y); r.Err() != nil {
					b.Fatal(r.Err())
				}
			}
			c.report(b)
			b.ReportMetric(2*float64(n)*float64(n)*float64(n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
