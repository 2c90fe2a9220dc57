//go:build unix

package viz

import (
	"syscall"
	"testing"

	"github.com/attnviz/attnviz/internal/demo"
)

// cpuNS is the process's CPU time (user + system, all threads): on a
// shared machine, wall time includes waiting for a core.
func cpuNS() int64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// BenchmarkPoolScan: the one pass of a pooled heatmap over 4096² weights
// (checks, range, row sums, 8×8 max pooling), with its CPU time per cell.
func BenchmarkPoolScan(b *testing.B) {
	n := 4096
	d := demo.Attention(n).Data()
	b.SetBytes(int64(4 * n * n))
	c0 := cpuNS()
	for b.Loop() {
		poolScan(d, n, n, 8, PoolMax, nil)
	}
	b.ReportMetric(float64(cpuNS()-c0)/float64(b.N)/float64(n*n), "cpu-ns/cell")
}
