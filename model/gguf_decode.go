package model

import (
	"os"
	"runtime"
	"sync"

	"github.com/attnviz/attnviz/tensor"
)

// mapping is the memory the bytes of a GGUF file live in: a memory map
// (mmap_unix.go) or a plain slice.
type mapping struct {
	data  []byte
	unmap func([]byte) error // nil for a plain slice
	drop  func([]byte)       // hands pages back to the system; nil if it cannot
	// mu (capacity 1) is the lock of closed and the unmapping: a channel, so
	// that no field of a model's types is of a type from package sync (the
	// kernel's interpreter would load sync and warn in the notebook).
	mu     chan struct{}
	closed bool
}

func newMapping(data []byte) *mapping { return &mapping{data: data, mu: make(chan struct{}, 1)} }

func (m *mapping) lock()   { m.mu <- struct{}{} }
func (m *mapping) unlock() { <-m.mu }

// mmapMin is the smallest file that is memory-mapped; smaller files are
// read (a variable so tests can map small files).
var mmapMin int64 = 1 << 20

// mapFile maps (or reads) the file at path.
func mapFile(path string) ([]byte, *mapping, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	if st.Size() >= mmapMin {
		if m, err := mmapFile(f, st.Size()); err == nil {
			return m.data, m, nil
		}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	return data, newMapping(data), nil
}

func (m *mapping) release() error {
	if m == nil {
		return nil
	}
	m.lock()
	defer m.unlock()
	if m.closed {
		return nil
	}
	m.closed = true
	var err error
	if m.unmap != nil {
		err = m.unmap(m.data)
	}
	m.data = nil
	return err
}

// attach makes g own m: Close releases it, and so does the garbage
// collector once g is unreachable.
func (g *GGUF) attach(m *mapping) {
	g.mapped = m
	if m.unmap != nil {
		runtime.AddCleanup(g, func(m *mapping) { m.release() }, m)
	}
}

// Close releases the file's memory map. Tensors decoded before stay valid;
// Tensor afterwards gives an error. Closing twice is harmless.
func (g *GGUF) Close() error {
	if g == nil || g.mapped == nil {
		return nil
	}
	err := g.mapped.release()
	g.data = nil
	return err
}

// decode dequantizes the named tensor into a new float32 slice, row-major
// in its shape, or, with transpose, in the transposed shape of a 2-D
// tensor. Big tensors are decoded by several goroutines.
func (g *GGUF) decode(name string, transpose bool) ([]float32, error) {
	ti, ok := g.TensorInfo(name)
	if !ok {
		return nil, tensor.Errorf(tensor.ErrNotFound, "gguf: no tensor %q in the file", name)
	}
	dec, ok := dequantizers[ti.Type]
	if !ok {
		return nil, tensor.Errorf(tensor.ErrFormat, "gguf: tensor %q has type %s, which attnviz cannot load (it reads %s); convert the model with another --outtype or quantization", name, ti.Type, supportedTypes)
	}
	if g.mapped != nil {
		g.mapped.lock()
		defer g.mapped.unlock()
		if g.mapped.closed {
			return nil, tensor.Errorf(tensor.ErrValue, "gguf: tensor %q: the file was closed; read it again", name)
		}
	}
	blk := ggmlBlocks[ti.Type]
	cols := int(ti.Dims[0])
	n := ti.Elements()
	rows := n / cols
	rowBytes := cols / blk[0] * blk[1]
	at := g.DataStart + int(ti.Offset)
	raw := g.data[at : at+rows*rowBytes] // bounds were checked in ParseGGUF
	out := make([]float32, n)
	if !transpose || len(ti.Dims) != 2 {
		// rows per task: about 64k elements
		parallelRows(rows, max(1, (1<<16)/cols), func(lo, hi int) {
			dec(out[lo*cols:hi*cols], raw[lo*rowBytes:hi*rowBytes])
		})
	} else {
		// [rows, cols] → [cols, rows], a tile of 16 rows at a time so the
		// writes go 16 floats at a stretch.
		const tile = 16
		parallelRows((rows+tile-1)/tile, max(1, (1<<16)/(cols*tile)), func(lo, hi int) {
			buf := make([]float32, tile*cols)
			for t := lo; t < hi; t++ {
				r0, r1 := t*tile, min((t+1)*tile, rows)
				n := r1 - r0
				dec(buf[:n*cols], raw[r0*rowBytes:r1*rowBytes])
				// 16×16 blocks: each row of buf is read 16 floats at a
				// time, each column of out written 16 floats at a time.
				for c0 := 0; c0 < cols; c0 += tile {
					c1 := min(c0+tile, cols)
					for i := 0; i < n; i++ {
						row := buf[i*cols+c0 : i*cols+c1]
						for k, v := range row {
							out[(c0+k)*rows+r0+i] = v
						}
					}
				}
			}
		})
	}
	if g.mapped != nil && g.mapped.drop != nil {
		g.mapped.drop(raw)
	}
	return out, nil
}

// parallelRows runs fn over [0, n) in chunks of at least grain, on up to
// GOMAXPROCS goroutines.
func parallelRows(n, grain int, fn func(lo, hi int)) {
	workers := min(runtime.GOMAXPROCS(0), (n+grain-1)/grain)
	if workers <= 1 {
		fn(0, n)
		return
	}
	var wg sync.WaitGroup
	chunk := (n + workers - 1) / workers
	for lo := 0; lo < n; lo += chunk {
		wg.Add(1)
		go func(lo, hi int) {
			defer wg.Done()
			fn(lo, hi)
		}(lo, min(lo+chunk, n))
	}
	wg.Wait()
}
