// Package cputime reports the CPU time a benchmark used, beside its
// wall-clock time: on a machine shared with other work, wall-clock ns/op
// includes the time spent waiting for a core and CPU time does not (it
// still includes cache contention). The benchmarks of tensor and model use
// it.
package cputime

import (
	"runtime"
	"testing"
	"time"
)

// Timer measures the process's CPU time (user + system, every thread)
// from Start.
type Timer struct{ start int64 }

// Start starts a Timer.
func Start() Timer { return Timer{now()} }

// Report adds the CPU time per operation since Start to b's results, as
// the metric cpu-ns/op. Where the system does not say (not unix), it
// reports nothing.
func (c Timer) Report(b *testing.B) {
	if t := now(); b.N > 0 && t > 0 {
		b.ReportMetric(float64(t-c.start)/float64(b.N), "cpu-ns/op")
	}
}

// Run is a benchmark loop: it warms up (see Warm), then runs f b.N times
// after resetting the timer (so the setup before it does not count), with
// allocations and CPU time reported; an error from f fails the benchmark.
func Run(b *testing.B, f func() error) {
	if err := Warm(f); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	c := Start()
	for i := 0; i < b.N; i++ {
		if err := f(); err != nil {
			b.Fatal(err)
		}
	}
	c.Report(b)
}

// Warm calls f until it has run at least warmCalls times and allocated
// warmBytes in all, or for warmTime — the warm-up rounds the PyTorch
// peers discard too. Each round of `make bench` is a new process, and its
// first calls run up to 4× slower than in a process that has been running
// (a notebook kernel): writing to heap memory fresh from the system
// faults its pages in, about 17 µs a page on this VM (measured: n = 2048
// matmul, 88 ms for each of the first five calls, then 49 ms; a 128 × 128
// product, 300 µs instead of 28 µs on every call that got fresh pages),
// until the heap has grown to its working size and reuses its spans.
func Warm(f func() error) error {
	start := time.Now()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	from := m.TotalAlloc
	for i := 0; time.Since(start) < warmTime; i++ {
		if i >= warmCalls {
			runtime.ReadMemStats(&m)
			if m.TotalAlloc-from >= warmBytes {
				break
			}
		}
		if err := f(); err != nil {
			return err
		}
	}
	return nil
}

const (
	warmCalls = 8
	warmBytes = 64 << 20
	warmTime  = 2 * time.Second
)
