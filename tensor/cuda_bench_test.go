package tensor

import (
	"fmt"
	"testing"
)

// BenchmarkCUDASDPA times ScaledDotProductAttention on the GPU with every
// intermediate kept (scores, scaled, weights, output), 12 heads, dₖ = 64,
// the shape scripts/gpu_check.sh compares with PyTorch. "cublas" uses
// cuBLAS for the two products, "kernels" the package's own matmul kernel.
func BenchmarkCUDASDPA(b *testing.B) {
	dev := realCUDA(b)
	if err := realOwn.Available(); err != nil {
		b.Fatal(err)
	}
	for _, n := range []int{1024, 4096} {
		q, k, v := RandN(1, 12, n, 64), RandN(2, 12, n, 64), RandN(3, 12, n, 64)
		for _, c := range []struct {
			name string
			d    *cudaDevice
		}{{"cublas", dev}, {"kernels", realOwn}} {
			qd, kd, vd := q.To(c.d), k.To(c.d), v.To(c.d)
			// With a Workspace the results of one call go back to the
			// device's pool before the next (ws.Release), as PyTorch's
			// caching allocator reuses a freed tensor's memory at once;
			// without, they wait for a garbage collection.
			ws := NewWorkspace()
			b.Run(fmt.Sprintf("%s+workspace/n=%d", c.name, n), func(b *testing.B) {
				qw := ws.Use(qd)
				gpuLoop(b, c.d, func() error {
					err := ScaledDotProductAttention(qw, kd, vd, nil).Err()
					ws.Release()
					return err
				})
			})
			b.Run(fmt.Sprintf("%s/n=%d", c.name, n), func(b *testing.B) {
				gpuLoop(b, c.d, func() error { return ScaledDotProductAttention(qd, kd, vd, nil).Err() })
			})
		}
	}
}

// gpuLoop times f on device d: one call first (JIT, cuBLAS heuristics,
// allocations), then b.N calls, the device synchronised before and after
// them so the time is the GPU's.
func gpuLoop(b *testing.B, d *cudaDevice, f func() error) {
	if err := f(); err != nil {
		b.Fatal(err)
	}
	if err := d.sync(); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := f(); err != nil {
			b.Fatal(err)
		}
	}
	if err := d.sync(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkCUDAOps times the single ops at attention sizes (12 heads,
// n = 1024) on the GPU.
func BenchmarkCUDAOps(b *testing.B) {
	dev := realCUDA(b)
	const n = 1024
	q := RandN(1, 12, n, 64).To(dev)
	s := RandN(2, 12, n, n).To(dev)
	mask := CausalMask(n).Eq0().To(dev)
	cases := []struct {
		name string
		f    func() *Tensor
	}{
		{"MatMul/QKt", func() *Tensor { return q.MatMul(q.T()) }},
		{"Scale", func() *Tensor { return s.Scale(0.125) }},
		{"MaskedFill", func() *Tensor { return s.MaskedFill(mask, -1e9) }},
		{"Softmax", func() *Tensor { return s.Softmax(-1) }},
		{"Max", func() *Tensor { return s.Max(-1) }},
		{"Sum/dim1", func() *Tensor { return s.Sum(1) }},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) { gpuLoop(b, dev, func() error { return c.f().Err() }) })
	}
}
