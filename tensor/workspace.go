package tensor

import "github.com/attnviz/attnviz/tensor/internal/cpu"

// Workspace is reusable memory for the intermediate results of a
// computation that runs again and again — a model's forward pass, a loop
// in a lesson. Results made in a workspace reuse its memory instead of
// being allocated, zeroed and garbage-collected anew on every run, and
// they are released when the program says so (Release) rather than when
// the garbage collector runs: PyTorch's caching allocator, made explicit.
// On a GPU the released device memory goes straight back to the device's
// pool, without waiting for a collection.
//
// Use marks a tensor: every operation that has a marked tensor among its
// inputs makes its result in that tensor's workspace (the first marked
// input's), and results of operations on those results do too, so one
// Use at the start of a chain is enough:
//
//	ws := tensor.NewWorkspace()
//	for _, batch := range batches {
//		x := ws.Use(batch)
//		h := x.RMSNorm(w, 1e-5).MatMul(wq) // made in ws
//		keep = append(keep, h.Clone())    // Clone copies out of the workspace
//		ws.Release()                      // h's memory is reused by the next pass
//	}
//
// After Release, a tensor made in the workspace carries an error saying so
// (reading it or computing with it fails cleanly, it never sees the next
// pass's numbers); Clone, Data and To copy a result out before then. A
// tensor passed to Use stays valid: only the results are released.
// Views (Index, Slice, T, Reshape, ...) of a marked tensor are marked.
//
// A Workspace is for one goroutine at a time. Its memory is kept between
// passes — as much as the largest pass needed — until the Workspace is
// unreachable.
type Workspace struct {
	gen    uint64
	chunks [][]float32 // the memory; after a Release that needed several, one
	cur    int         // chunk being filled
	off    int         // floats used in chunks[cur]
	used   int         // floats handed out in this generation
	dev    []interface{ release() }
}

// wsTag marks a tensor made in or assigned to a workspace.
type wsTag struct {
	out   *Workspace // where results of operations on the tensor are made
	owner *Workspace // the workspace holding the tensor's storage, or nil
	gen   uint64     // owner's generation when the storage was handed out
}

// NewWorkspace returns an empty workspace; it takes memory as results are
// made in it.
func NewWorkspace() *Workspace { return &Workspace{gen: 1} }

// Use returns t marked so that the results of operations on it are made in
// w (a view: t's elements are not copied). A nil w returns t unmarked:
// results on the heap.
func (w *Workspace) Use(t *Tensor) *Tensor {
	if t == nil || t.err != nil {
		return t
	}
	c := *t
	c.ws.out = w
	return &c
}

// Release makes the memory of every result made in w since the last
// Release available again; those results then carry an error. Tensors
// marked by Use are not affected.
func (w *Workspace) Release() {
	if w == nil {
		return
	}
	for _, b := range w.dev {
		b.release()
	}
	clear(w.dev)
	w.dev = w.dev[:0]
	if len(w.chunks) > 1 && w.cur > 0 {
		// This pass needed several chunks: next time, one of the size
		// of all of them.
		total := 0
		for _, c := range w.chunks {
			total += len(c)
		}
		w.chunks = [][]float32{cpu.AlignedFloats(total)}
	}
	w.cur, w.off, w.used = 0, 0, 0
	w.gen++
}

// Bytes is the host memory the workspace holds.
func (w *Workspace) Bytes() int {
	if w == nil {
		return 0
	}
	n := 0
	for _, c := range w.chunks {
		n += 4 * len(c)
	}
	return n
}

// floats hands out n floats (contents undefined), 64-byte aligned.
func (w *Workspace) floats(n int) []float32 {
	if n == 0 {
		return []float32{}
	}
	need := (n + 15) &^ 15
	for w.cur < len(w.chunks) {
		c := w.chunks[w.cur]
		if w.off+need <= len(c) {
			s := c[w.off : w.off+n : w.off+n]
			w.off += need
			w.used += need
			return s
		}
		if w.off == 0 && w.cur == len(w.chunks)-1 {
			break // a single chunk too small: replace it below
		}
		w.cur++
		w.off = 0
	}
	size := max(need, 2*w.used, 1<<16)
	if w.cur < len(w.chunks) {
		w.chunks[w.cur] = cpu.AlignedFloats(size) // the old one held nothing of this pass
	} else {
		w.chunks = append(w.chunks, cpu.AlignedFloats(size))
		w.cur = len(w.chunks) - 1
	}
	w.off = need
	w.used += need
	return w.chunks[w.cur][:n:n]
}

// trackDevice registers a device buffer made for a result in w, released
// with it.
func (w *Workspace) trackDevice(b interface{ release() }) { w.dev = append(w.dev, b) }

// releaseNow gives the device memory of t, a temporary made and used
// only inside one operation, back to its device's cache without waiting
// for a garbage collection. t must not be used afterwards.
func releaseNow(t *Tensor) {
	if t == nil {
		return
	}
	if b, ok := t.buf.(interface{ release() }); ok {
		b.release()
	}
}

// outWS is the workspace in which the result of an operation on in is
// made: the first marked input's, or nil (the heap).
func outWS(in ...*Tensor) *Workspace {
	for _, t := range in {
		if t != nil && t.ws.out != nil {
			return t.ws.out
		}
	}
	return nil
}

// allocIn returns n floats for a result: from ws, or zeroed from the heap
// when ws is nil. Workspace memory is not zeroed: the operation must write
// every element.
func allocIn(ws *Workspace, n int) []float32 {
	if ws == nil {
		return make([]float32, n)
	}
	return ws.floats(n)
}

// newHostIn is newHost for a result whose storage came from allocIn(ws).
func newHostIn(ws *Workspace, data []float32, shape []int) *Tensor {
	t := newHost(data, shape)
	if ws != nil {
		t.ws = wsTag{out: ws, owner: ws, gen: ws.gen}
	}
	return t
}

// released reports whether t's storage belonged to a workspace that has
// been released since.
func (t *Tensor) released() bool { return t.ws.owner != nil && t.ws.owner.gen != t.ws.gen }

func errReleased() error {
	return Errorf(ErrValue, "tensor: this tensor was made in a Workspace that has been released since; Clone the results you keep before calling Release")
}
