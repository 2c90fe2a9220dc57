package cpu

import (
	"math/bits"
	"runtime"
	"sync"
	"sync/atomic"
)

// The worker pool. Small products run on the calling goroutine; larger
// ones are shared with helper goroutines that are started once and then
// wait for work, so a call pays neither for starting goroutines nor for
// allocating their scratch space. Each helper owns one Work for its whole
// life; callers borrow one from a free list that the garbage collector
// does not empty (a sync.Pool is cleared by every other collection, and a
// forward pass that allocates triggers many).
//
// A call hands its job to as many idle helpers as it has tasks to share
// (at most GOMAXPROCS−1) and works on it itself; a helper that is busy
// (another caller, or a nested call from inside a task) is skipped rather
// than waited for, so nested and concurrent calls cannot deadlock: at
// worst the caller does all the tasks itself.
//
// A call waits for the tasks, not for the helpers: it returns as soon as
// every task is done, whoever did it. A helper that was handed the job but
// has not run yet — on a machine shared with other work, the OS may not
// give it a core for milliseconds — finds nothing left to do when it does
// run; the caller has not waited for it (waiting for every helper to check
// in made each small parallel call cost a scheduling delay under load).

// MinParallelWork is the amount of work (in multiply-adds or element
// operations) below which ParallelForWork runs every task on the calling
// goroutine: waking a parked helper costs 20–40 µs on a small virtual
// machine after a pause (measured: a 128 × 128 product, 2 M multiply-adds
// and 20 µs on one core, took twice as long shared with a helper woken
// after 1 ms idle), which the work must be large enough to repay. 4 M
// multiply-adds is about 40 µs on one core.
var MinParallelWork = 1 << 22

type job struct {
	fn       func(w *Work, i int)
	n        int64
	next     atomic.Int64  // the next task to hand out
	done     atomic.Int64  // tasks finished
	refs     atomic.Int32  // the caller and the helpers holding the job
	finished chan struct{} // one value, sent by whoever finishes the last task
}

// run does tasks of j until none is left.
func (j *job) run(w *Work) {
	for {
		i := j.next.Add(1) - 1
		if i >= j.n {
			return
		}
		j.fn(w, int(i))
		if j.done.Add(1) == j.n {
			j.finished <- struct{}{}
		}
	}
}

// release drops one holder's reference; the last one recycles the job.
func (j *job) release() {
	if j.refs.Add(-1) == 0 {
		j.fn = nil
		jobPool.Put(j)
	}
}

var pool struct {
	mu      sync.Mutex
	helpers int       // helper goroutines started
	jobs    chan *job // unbuffered: a send succeeds only when a helper is idle
	free    []*Work   // Works for callers
}

var jobPool = sync.Pool{New: func() any { return &job{finished: make(chan struct{}, 1)} }}

func init() { pool.jobs = make(chan *job) }

// helperStart, when set (tests), runs in a helper between receiving a job
// and working on it: a stand-in for a helper the OS has not scheduled yet.
var helperStart atomic.Pointer[func()]

func helper(w *Work) {
	for j := range pool.jobs {
		if f := helperStart.Load(); f != nil {
			(*f)()
		}
		j.run(w)
		j.release()
	}
}

// ensureHelpers starts helpers up to n.
func ensureHelpers(n int) {
	pool.mu.Lock()
	for pool.helpers < n {
		pool.helpers++
		go helper(newWorkAlloc())
	}
	pool.mu.Unlock()
}

func newWorkAlloc() *Work {
	return &Work{a: alignedFloats(gemmMC * gemmKC), tmp: alignedFloats(32 * 32)}
}

// GetWork returns a Work for the calling goroutine; give it back with
// PutWork.
func GetWork() *Work {
	pool.mu.Lock()
	if k := len(pool.free); k > 0 {
		w := pool.free[k-1]
		pool.free = pool.free[:k-1]
		pool.mu.Unlock()
		return w
	}
	pool.mu.Unlock()
	return newWorkAlloc()
}

// PutWork returns w to the free list.
func PutWork(w *Work) {
	pool.mu.Lock()
	if len(pool.free) < 4*runtime.GOMAXPROCS(0) {
		pool.free = append(pool.free, w)
	}
	pool.mu.Unlock()
}

// ParallelFor runs fn(w, i) for i in [0, n), sharing the tasks between the
// calling goroutine and idle helpers (up to GOMAXPROCS goroutines in all);
// each goroutine passes its own Work. It returns when every task is done.
func ParallelFor(n int, fn func(w *Work, i int)) {
	if n <= 0 {
		return
	}
	w := GetWork()
	defer PutWork(w)
	procs := runtime.GOMAXPROCS(0)
	if n == 1 || procs == 1 {
		for i := 0; i < n; i++ {
			fn(w, i)
		}
		return
	}
	helpers := min(procs-1, n-1)
	ensureHelpers(helpers)
	j := jobPool.Get().(*job)
	j.fn, j.n = fn, int64(n)
	j.next.Store(0)
	j.done.Store(0)
	j.refs.Store(1) // the caller's
	for h := 0; h < helpers; h++ {
		j.refs.Add(1)
		select {
		case pool.jobs <- j:
			continue
		default:
			j.refs.Add(-1)
		}
		break // every helper is busy
	}
	j.run(w)
	<-j.finished // every task done (at once if this goroutine did the last)
	j.release()
}

// ParallelForWork is ParallelFor for n tasks that together cost about
// work multiply-adds: below MinParallelWork they all run on the calling
// goroutine.
func ParallelForWork(n, work int, fn func(w *Work, i int)) {
	if work < MinParallelWork {
		w := GetWork()
		for i := 0; i < n; i++ {
			fn(w, i)
		}
		PutWork(w)
		return
	}
	ParallelFor(n, fn)
}

// Split is how a batch of m × n products is cut into tasks: blocks of
// rows (a multiple of the micro-kernel's rows, at most gemmMC) and of
// columns (a multiple of its panel width).
type Split struct {
	Rows, RowBlocks int // rows per block, number of row blocks
	Cols, ColBlocks int // columns per block (whole panels), number of column blocks
}

// SplitGemm cuts nb products of m × n (inner size k) into enough tasks to
// keep every worker busy — about four per worker, so that uneven tasks
// even out — without cutting below one micro-kernel tile.
func SplitGemm(nb, m, n, k int) Split {
	mr, nr := gemmMR, gemmNR
	s := Split{Rows: min(gemmMC, roundUp(m, mr)), Cols: n}
	workers := Workers()
	if nb*m*n*k < MinParallelWork || workers == 1 {
		s.RowBlocks, s.ColBlocks = ceilDiv(m, s.Rows), 1
		return s
	}
	want := 4 * workers
	s.RowBlocks = ceilDiv(m, s.Rows)
	if nb*s.RowBlocks < want {
		// Fewer row blocks than tasks wanted: smaller row blocks (not
		// below 4 tiles high) …
		per := max(ceilDiv(want, nb), 1)
		s.Rows = max(min(s.Rows, roundUp(ceilDiv(m, per), mr)), min(4*mr, roundUp(m, mr)))
		s.RowBlocks = ceilDiv(m, s.Rows)
	}
	if nb*s.RowBlocks < want {
		// … then column blocks of whole panels.
		per := ceilDiv(want, nb*s.RowBlocks)
		panels := ceilDiv(n, nr)
		s.Cols = ceilDiv(panels, per) * nr
	}
	s.ColBlocks = ceilDiv(n, s.Cols)
	return s
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

func roundUp(a, b int) int { return ceilDiv(a, b) * b }

// Workers is the number of goroutines ParallelFor may use.
func Workers() int { return runtime.GOMAXPROCS(0) }

// --- scratch buffers -------------------------------------------------------------

// Scratch buffers (packed matrices) are kept between calls in power-of-two
// size classes, up to scratchKeep bytes in all, instead of being
// allocated (and zeroed, and collected) on every product.
const scratchKeep = 64 << 20

var scratch struct {
	mu    sync.Mutex
	bytes int
	free  [48][][]float32
}

// Buf returns a 64-byte-aligned scratch slice of n floats with undefined
// contents. Give it back with PutBuf when done.
func Buf(n int) []float32 {
	if n == 0 {
		return nil
	}
	c := bits.Len(uint(n - 1))
	scratch.mu.Lock()
	if l := scratch.free[c]; len(l) > 0 {
		b := l[len(l)-1]
		scratch.free[c] = l[:len(l)-1]
		scratch.bytes -= 4 * cap(b)
		scratch.mu.Unlock()
		return b[:n]
	}
	scratch.mu.Unlock()
	return alignedFloats(1 << c)[:n]
}

// PutBuf keeps b (from Buf) for a later call.
func PutBuf(b []float32) {
	if cap(b) == 0 || cap(b)&(cap(b)-1) != 0 {
		return
	}
	c := bits.Len(uint(cap(b) - 1))
	scratch.mu.Lock()
	if scratch.bytes+4*cap(b) <= scratchKeep {
		scratch.free[c] = append(scratch.free[c], b[:cap(b)])
		scratch.bytes += 4 * cap(b)
	}
	scratch.mu.Unlock()
}
