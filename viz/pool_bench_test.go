package viz

import (
	"testing"

	"github.com/attnviz/attnviz/internal/cputime"
	"github.com/attnviz/attnviz/internal/demo"
)

// BenchmarkPoolScan: the one pass of a pooled heatmap over 4096² weights
// (checks, range, row sums, 8×8 max pooling); cpu-ns/op over the cells is
// the CPU time per cell (on a loaded machine, wall time is not).
func BenchmarkPoolScan(b *testing.B) {
	n := 4096
	d := demo.Attention(n).Data()
	b.SetBytes(int64(4 * n * n))
	c := cputime.Start()
	for b.Loop() {
		poolScan(d, n, n, 8, PoolMax, nil)
	}
	c.Report(b)
}
