package tensor

import (
	"fmt"
	"testing"
	"time"

	"github.com/attnviz/attnviz/internal/cputime"
)

// The benchmarks of `make bench` (scripts/bench_torch.py runs each beside
// the same work in PyTorch and prints the table). Inputs are made inside
// each sub-benchmark, so that running one (-test.bench
// 'BenchmarkSDPA/^n=128$') does not build the others'.

// BenchmarkSDPA times ScaledDotProductAttention for 12 heads, dₕ = 64,
// keeping every intermediate.
func BenchmarkSDPA(b *testing.B) {
	for _, n := range []int{128, 512, 2048} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			q, k, v := RandN(1, 12, n, 64), RandN(2, 12, n, 64), RandN(3, 12, n, 64)
			cputime.Run(b, func() error { return ScaledDotProductAttention(q, k, v, nil).Err() })
		})
	}
}

// BenchmarkSDPACausal is BenchmarkSDPA with a causal mask.
func BenchmarkSDPACausal(b *testing.B) {
	for _, n := range []int{512} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			q, k, v := RandN(1, 12, n, 64), RandN(2, 12, n, 64), RandN(3, 12, n, 64)
			m := CausalMask(n)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if a := ScaledDotProductAttention(q, k, v, m); a.Err() != nil {
					b.Fatal(a.Err())
				}
			}
		})
	}
}

// BenchmarkAttentionWeights times the model path (weights and output
// only, causal) for 12 heads, dₕ = 64.
func BenchmarkAttentionWeights(b *testing.B) {
	for _, n := range []int{128, 512} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			q, k, v := RandN(1, 12, n, 64), RandN(2, 12, n, 64), RandN(3, 12, n, 64)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if a := AttentionWeights(q, k, v, true); a.Err() != nil {
					b.Fatal(a.Err())
				}
			}
		})
	}
}

// BenchmarkMatMul times the batched GEMM on QKᵀ shapes.
func BenchmarkMatMul(b *testing.B) {
	for _, n := range []int{512} {
		b.Run(fmt.Sprintf("QKT/n=%d", n), func(b *testing.B) {
			q, k := RandN(1, 12, n, 64), RandN(2, 12, n, 64)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if r := q.MatMul(k.T()); r.Err() != nil {
					b.Fatal(r.Err())
				}
			}
		})
	}
}

// BenchmarkMatMulSquare times n × n products in a tight loop (allocation
// and garbage collection of the results included).
func BenchmarkMatMulSquare(b *testing.B) {
	for _, n := range []int{128, 1024, 2048} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			x, y := RandN(1, n, n), RandN(2, n, n)
			cputime.Run(b, func() error { return x.MatMul(y).Err() })
			b.ReportMetric(2*float64(n)*float64(n)*float64(n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

// BenchmarkMatMulOneCall times single n × n products, each after 1 ms
// idle — a notebook cell, not a loop: the helper goroutines are parked and
// the caches have moved on. Each call is timed alone, as the PyTorch peer
// times its calls (scripts/benchlib.py), and ns/op is the mean of those
// times: b.StopTimer and b.StartTimer would stop the world to read memory
// statistics right before each call, which no notebook cell does.
func BenchmarkMatMulOneCall(b *testing.B) {
	for _, n := range []int{128} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			x, y := RandN(1, n, n), RandN(2, n, n)
			if err := cputime.Warm(func() error { return x.MatMul(y).Err() }); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			var calls time.Duration
			for i := 0; i < b.N; i++ {
				time.Sleep(time.Millisecond)
				start := time.Now()
				r := x.MatMul(y)
				calls += time.Since(start)
				if r.Err() != nil {
					b.Fatal(r.Err())
				}
			}
			b.ReportMetric(float64(calls.Nanoseconds())/float64(b.N), "ns/op")
		})
	}
}
