package cpu

import (
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Every task runs exactly once, from concurrent callers and from calls
// nested inside tasks.
func TestParallelForEachTaskOnce(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	var wg sync.WaitGroup
	for c := 0; c < 4; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for rep := 0; rep < 50; rep++ {
				n := 1 + (rep*7+c)%40
				counts := make([]atomic.Int32, n*3)
				ParallelFor(n, func(w *Work, i int) {
					if w == nil {
						t.Error("task without a Work")
					}
					counts[i].Add(1)
					ParallelFor(2, func(_ *Work, k int) { counts[n+2*i+k].Add(1) })
				})
				for i := range counts {
					if got := counts[i].Load(); got != 1 {
						t.Errorf("caller %d, n = %d: task %d ran %d times", c, n, i, got)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
}

// A call returns once its tasks are done, without waiting for a helper
// that was handed the job but has not run yet (under load the OS may not
// schedule it for milliseconds); that helper, when it runs, does nothing,
// and the job it held is not reused before it lets go.
func TestParallelForDoesNotWaitForLateHelper(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	ensureHelpers(1)
	hold, held := make(chan struct{}), make(chan struct{}, 4)
	f := func() { held <- struct{}{}; <-hold }
	helperStart.Store(&f)
	var calls atomic.Int32
	returned := make(chan struct{})
	go func() {
		// Repeat until the helper took a job (it may have been busy).
		for {
			ParallelFor(8, func(*Work, int) { calls.Add(1) })
			if len(held) > 0 {
				break
			}
		}
		close(returned)
	}()
	select {
	case <-returned:
	case <-time.After(20 * time.Second):
		helperStart.Store(nil)
		close(hold)
		t.Fatal("ParallelFor waited for a helper that had not started")
	}
	if calls.Load()%8 != 0 {
		t.Errorf("%d task calls: not whole jobs of 8", calls.Load())
	}
	// While the helper still holds the old job, new calls work (on the
	// caller alone) and do their own tasks only.
	for rep := 0; rep < 20; rep++ {
		var got [16]atomic.Int32
		ParallelFor(16, func(_ *Work, i int) { got[i].Add(1) })
		for i := range got {
			if got[i].Load() != 1 {
				t.Fatalf("task %d ran %d times while a helper lagged", i, got[i].Load())
			}
		}
	}
	helperStart.Store(nil)
	close(hold)
	// The helpers wake, find their jobs done, and take new ones.
	for rep := 0; rep < 20; rep++ {
		var n atomic.Int32
		ParallelFor(64, func(*Work, int) { n.Add(1) })
		if n.Load() != 64 {
			t.Fatalf("%d of 64 tasks ran", n.Load())
		}
	}
}
