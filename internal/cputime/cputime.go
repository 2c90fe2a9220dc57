// Package cputime reports the CPU time a benchmark used, beside its
// wall-clock time: on a machine shared with other work, wall-clock ns/op
// includes the time spent waiting for a core and CPU time does not (it
// still includes cache contention). The benchmarks of tensor and model use
// it.
package cputime

import (
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

// Warm calls f until it has run warmCalls times or for warmTime, whichever
// comes first — the warm-up rounds the PyTorch peers discard too. Each
// round of `make bench` is a new process, and its first products of large
// results run up to 1.8× slower (measured: n = 2048 matmul, 88 ms for each
// of the first five calls, then 49 ms): the first writes to memory fresh
// from the system cost page faults until the heap's spans are reused,
// which a long-lived notebook kernel has long done.
func Warm(f func() error) error {
	start := time.Now()
	for i := 0; i < warmCalls && time.Since(start) < warmTime; i++ {
		if err := f(); err != nil {
			return err
		}
	}
	return nil
}

const (
	warmCalls = 8
	warmTime  = time.Second
)
