//go:build unix

package model

import (
	"syscall"
	"testing"
)

// cpuTimer reports the process's CPU time (user + system, every thread)
// per operation as the metric cpu-ns/op: on a machine shared with other
// work, wall-clock ns/op includes the time spent waiting for a core and
// CPU time does not (it still includes cache contention).
type cpuTimer struct{ start int64 }

func cpuNow() int64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

func startCPU() cpuTimer { return cpuTimer{cpuNow()} }

func (c cpuTimer) report(b *testing.B) {
	if b.N > 0 {
		b.ReportMetric(float64(cpuNow()-c.start)/float64(b.N), "cpu-ns/op")
	}
}
