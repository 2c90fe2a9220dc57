package tensor

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"unsafe"
)

// The CPU matrix product is a packed, blocked float32 GEMM in the style of
// GotoBLAS/BLIS:
//
//   - B is packed once into column panels of nr columns (each panel holds
//     every k step: k × nr values, zero-padded on the right edge);
//   - A is packed per block of mc rows and kc steps into row panels of mr
//     rows (kc × mr values);
//   - a micro-kernel computes one mr × nr tile of C from one A panel and
//     one B panel, keeping the whole tile in vector registers.
//
// The micro-kernel is Go assembly on amd64 (AVX-512: 8 × 32 tile, 16 zmm
// accumulators; AVX2+FMA: 6 × 16 tile, 12 ymm accumulators), chosen at
// start-up from CPUID, with a portable Go kernel (4 × 4) everywhere else.
// When A has unit column stride (row-major Q, or the weights block in
// attention) the vector kernels read it in place instead of packing it.
// ATTNVIZ_SIMD=avx2 or ATTNVIZ_SIMD=none lowers the choice, to compare
// paths; TestKernels runs every path the CPU supports.
// Assembly rather than GOEXPERIMENT=simd because the notebook kernel and
// every other consumer build with a stock toolchain; assembly rather than
// gonum's Sgemm because a register-blocked vector kernel is ≈ 4× faster on
// the attention shapes. Work is split over GOMAXPROCS goroutines by
// (batch, row block).

// matDesc addresses a strided matrix: element (i, j) is
// data[off + i*rs + j*cs]. Packing reads any strides, so transposed views
// (k.T()) need no copy.
type matDesc struct {
	data       []float32
	off        int
	rs, cs     int
	rows, cols int
}

func (m matDesc) at(i, j int) float32 { return m.data[m.off+i*m.rs+j*m.cs] }

// Micro-kernel selected at init (see matmul_amd64.go).
var (
	gemmMR, gemmNR = 4, 4
	// gemmKernel computes C[mr×nr] = A·B (add == false) or C += A·B,
	// reading k steps of a packed A panel (k×mr) and B panel (k×nr).
	gemmKernel = kernGo4x4
	kernelName = "go 4x4"
	// gemmKernelRM, when not nil, reads A rows in place (see kernelConfig).
	gemmKernelRM func(k int, a *float32, lda int, b, c *float32, ldc int, add bool)
	// hasAVX2 selects the vector row kernels of softmax (amd64 only).
	hasAVX2 bool
)

// kernelConfig is one choice of micro-kernel and vector row kernels.
type kernelConfig struct {
	name   string
	mr, nr int
	kern   func(k int, a, b, c *float32, ldc int, add bool)
	avx2   bool
	// rm, if set, is an mr × nr kernel that reads A in place (row-major,
	// unit column stride) instead of from a packed panel.
	rm func(k int, a *float32, lda int, b, c *float32, ldc int, add bool)
}

// use installs c and returns the previous configuration (tests use it to
// run every path the CPU supports).
func (c kernelConfig) use() kernelConfig {
	old := kernelConfig{kernelName, gemmMR, gemmNR, gemmKernel, hasAVX2, gemmKernelRM}
	kernelName, gemmMR, gemmNR, gemmKernel, hasAVX2, gemmKernelRM = c.name, c.mr, c.nr, c.kern, c.avx2, c.rm
	return old
}

var goKernel = kernelConfig{"go 4x4", 4, 4, kernGo4x4, false, nil}

const (
	gemmKC = 256 // k steps per packed A block
	gemmMC = 96  // rows per packed A block (a multiple of every mr)
)

func kernGo4x4(k int, a, b, c *float32, ldc int, add bool) {
	ap := unsafe.Slice(a, k*4)
	bp := unsafe.Slice(b, k*4)
	cp := unsafe.Slice(c, 3*ldc+4)
	var c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33 float32
	for p := 0; p < k; p++ {
		a4 := ap[p*4 : p*4+4 : p*4+4]
		b4 := bp[p*4 : p*4+4 : p*4+4]
		a0, a1, a2, a3 := a4[0], a4[1], a4[2], a4[3]
		b0, b1, b2, b3 := b4[0], b4[1], b4[2], b4[3]
		c00 += a0 * b0
		c01 += a0 * b1
		c02 += a0 * b2
		c03 += a0 * b3
		c10 += a1 * b0
		c11 += a1 * b1
		c12 += a1 * b2
		c13 += a1 * b3
		c20 += a2 * b0
		c21 += a2 * b1
		c22 += a2 * b2
		c23 += a2 * b3
		c30 += a3 * b0
		c31 += a3 * b1
		c32 += a3 * b2
		c33 += a3 * b3
	}
	r := [16]float32{c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33}
	for i := 0; i < 4; i++ {
		row := cp[i*ldc : i*ldc+4]
		if add {
			for j := range row {
				row[j] += r[i*4+j]
			}
		} else {
			copy(row, r[i*4:i*4+4])
		}
	}
}

// packedBLen is the length of B packed by packB.
func packedBLen(k, n int) int { return ((n + gemmNR - 1) / gemmNR) * gemmNR * k }

// packB packs all of b (k × n) into column panels of nr: panel jp holds
// dst[jp*k*nr + p*nr + c] = b(p, jp*nr + c), zero beyond n.
func packB(dst []float32, b matDesc) {
	k, n, nr := b.rows, b.cols, gemmNR
	for jp := 0; jp*nr < n; jp++ {
		pan := dst[jp*k*nr : (jp+1)*k*nr]
		cols := min(nr, n-jp*nr)
		if b.cs == 1 {
			for p := 0; p < k; p++ {
				src := b.data[b.off+p*b.rs+jp*nr:]
				row := pan[p*nr : p*nr+nr]
				copy(row, src[:cols])
				clear(row[cols:])
			}
			continue
		}
		for c := 0; c < nr; c++ {
			if c >= cols {
				for p := 0; p < k; p++ {
					pan[p*nr+c] = 0
				}
				continue
			}
			o := b.off + (jp*nr+c)*b.cs
			if b.rs == 1 { // a transposed view (Kᵀ): each column is contiguous
				for p, v := range b.data[o : o+k] {
					pan[p*nr+c] = v
				}
				continue
			}
			for p := 0; p < k; p++ {
				pan[p*nr+c] = b.data[o+p*b.rs]
			}
		}
	}
}

// packA packs rows i0..i0+mb and steps p0..p0+kb of a into row panels of
// mr: dst[ip*kb*mr + p*mr + r] = a(i0 + ip*mr + r, p0 + p), zero beyond mb.
func packA(dst []float32, a matDesc, i0, mb, p0, kb int) {
	mr := gemmMR
	for ip := 0; ip*mr < mb; ip++ {
		pan := dst[ip*kb*mr : (ip+1)*kb*mr]
		for r := 0; r < mr; r++ {
			i := ip*mr + r
			if i >= mb {
				for p := 0; p < kb; p++ {
					pan[p*mr+r] = 0
				}
				continue
			}
			o := a.off + (i0+i)*a.rs + p0*a.cs
			if a.cs == 1 {
				src := a.data[o : o+kb]
				for p, v := range src {
					pan[p*mr+r] = v
				}
			} else {
				for p := 0; p < kb; p++ {
					pan[p*mr+r] = a.data[o+p*a.cs]
				}
			}
		}
	}
}

// gemmWork is one worker's scratch space.
type gemmWork struct {
	a   []float32 // packed A block, gemmMC × gemmKC
	tmp []float32 // an edge tile
	sb  []float32 // attention: a block of scores
	wb  []float32 // attention: a block of weights
}

// blockBufs returns the worker's two attention block buffers of n floats
// (contents undefined), 64-byte aligned.
func (w *gemmWork) blockBufs(n int) ([]float32, []float32) {
	if len(w.sb) < n {
		w.sb, w.wb = alignedFloats(n), alignedFloats(n)
	}
	return w.sb[:n], w.wb[:n]
}

func alignedFloats(n int) []float32 {
	b := make([]float32, n+16)
	off := int(uintptr(unsafe.Pointer(&b[0]))%64) / 4
	if off != 0 {
		off = 16 - off
	}
	return b[off : off+n : off+n]
}

var gemmWorkPool = sync.Pool{New: func() interface{} {
	return &gemmWork{a: make([]float32, gemmMC*gemmKC), tmp: make([]float32, 32*32)}
}}

func newGemmWork() *gemmWork { return gemmWorkPool.Get().(*gemmWork) }

// gemmRows computes rows i0..i0+mb of C = A·B, where B was packed whole by
// packB (k × n), into c[coff + i*ldc + j] (i relative to i0).
func gemmRows(w *gemmWork, a matDesc, i0, mb int, bp []float32, n int, c []float32, coff, ldc int) {
	k := a.cols
	mr, nr := gemmMR, gemmNR
	if k == 0 {
		for i := 0; i < mb; i++ {
			clear(c[coff+i*ldc : coff+i*ldc+n])
		}
		return
	}
	if gemmKernelRM != nil && a.cs == 1 && mb >= mr {
		// Full tiles of mr rows straight from A; the last rows, if any,
		// go through the packed path below.
		full := mb - mb%mr
		for jp := 0; jp*nr < n; jp++ {
			bpan := &bp[jp*k*nr]
			cols := min(nr, n-jp*nr)
			for i := 0; i < full; i += mr {
				ap := &a.data[a.off+(i0+i)*a.rs]
				co := coff + i*ldc + jp*nr
				if cols == nr {
					gemmKernelRM(k, ap, a.rs, bpan, &c[co], ldc, false)
					continue
				}
				gemmKernelRM(k, ap, a.rs, bpan, &w.tmp[0], nr, false)
				for r := 0; r < mr; r++ {
					copy(c[co+r*ldc:co+r*ldc+cols], w.tmp[r*nr:r*nr+cols])
				}
			}
		}
		if full == mb {
			return
		}
		i0, mb, coff = i0+full, mb-full, coff+full*ldc
	}
	for ic := 0; ic < mb; ic += gemmMC {
		mc := min(gemmMC, mb-ic)
		for pc := 0; pc < k; pc += gemmKC {
			kb := min(gemmKC, k-pc)
			packA(w.a, a, i0+ic, mc, pc, kb)
			add := pc > 0
			for jp := 0; jp*nr < n; jp++ {
				bpan := &bp[jp*k*nr+pc*nr]
				cols := min(nr, n-jp*nr)
				for ip := 0; ip*mr < mc; ip++ {
					apan := &w.a[ip*kb*mr]
					rows := min(mr, mc-ip*mr)
					co := coff + (ic+ip*mr)*ldc + jp*nr
					if rows == mr && cols == nr {
						gemmKernel(kb, apan, bpan, &c[co], ldc, add)
						continue
					}
					gemmKernel(kb, apan, bpan, &w.tmp[0], nr, false)
					for r := 0; r < rows; r++ {
						dst := c[co+r*ldc : co+r*ldc+cols]
						src := w.tmp[r*nr : r*nr+cols]
						if add {
							for j := range dst {
								dst[j] += src[j]
							}
						} else {
							copy(dst, src)
						}
					}
				}
			}
		}
	}
}

// parallelFor runs fn(work, i) for i in [0, n) on up to GOMAXPROCS
// goroutines; each goroutine has its own gemmWork.
func parallelFor(n int, fn func(w *gemmWork, i int)) {
	workers := min(runtime.GOMAXPROCS(0), n)
	if workers <= 1 {
		w := newGemmWork()
		for i := 0; i < n; i++ {
			fn(w, i)
		}
		gemmWorkPool.Put(w)
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for g := 0; g < workers; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := newGemmWork()
			defer gemmWorkPool.Put(w)
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				fn(w, i)
			}
		}()
	}
	wg.Wait()
}

// batchOffsets returns, for every index of the batch shape (row-major), the
// storage offset base + Σ idx·strides.
func batchOffsets(shape, strides []int, base int) []int {
	n := numel(shape)
	out := make([]int, n)
	idx := make([]int, len(shape))
	off := base
	for b := 0; b < n; b++ {
		out[b] = off
		for i := len(shape) - 1; i >= 0; i-- {
			idx[i]++
			off += strides[i]
			if idx[i] < shape[i] {
				break
			}
			off -= strides[i] * shape[i]
			idx[i] = 0
		}
	}
	return out
}

// MatMul returns the matrix product t·b. For tensors of rank > 2 the last
// two dimensions are matrices and the leading ("batch") dimensions
// broadcast as in numpy/torch.matmul: [12,T,d]·[12,d,T] → [12,T,T], and
// [2,12,T,d]·[d,T] → [2,12,T,T]. A 1-D operand is a vector: [k]·[k,n] →
// [n], [m,k]·[k] → [m].
//
// The inner dimensions must agree (t's last, b's second-to-last); when
// they do not, the error names both shapes, and suggests b.T() when that
// would fit — the usual slip in q.MatMul(k) for q·kᵀ.
func (t *Tensor) MatMul(b *Tensor) *Tensor {
	if t.Err() != nil {
		return Failed(t.Err())
	}
	if b.Err() != nil {
		return Failed(b.Err())
	}
	a := t
	if len(a.shape) == 0 || len(b.shape) == 0 {
		return Failed(shapeErr("MatMul", "both operands need at least 1 dimension", "use Scale for a scalar factor", a.shape, b.shape))
	}
	vecA, vecB := len(a.shape) == 1, len(b.shape) == 1
	if vecA {
		a = a.Unsqueeze(0)
	}
	if vecB {
		b = b.Unsqueeze(1)
	}
	ra, rb := len(a.shape), len(b.shape)
	m, k, k2, n := a.shape[ra-2], a.shape[ra-1], b.shape[rb-2], b.shape[rb-1]
	if k != k2 {
		hint := fmt.Sprintf("the last dimension of the left operand (%d) must equal the second-to-last of the right (%d)", k, k2)
		if k == n && !vecB {
			hint = "did you mean k.T()?"
		}
		return Failed(shapeErr("MatMul", "inner dimensions differ", hint, t.shape, b0(b, vecB)))
	}
	batch, ok := broadcastShapes(a.shape[:ra-2], b.shape[:rb-2])
	if !ok {
		return Failed(shapeErr("MatMul", "batch dimensions do not broadcast", "the leading dimensions, aligned from the right, must be equal or 1", t.shape, b0(b, vecB)))
	}
	outShape := append(append([]int(nil), batch...), m, n)
	if err := checkShape("MatMul", outShape); err != nil {
		return Failed(err)
	}
	r := apply1("MatMul", []*Tensor{a, b}, opParams{}, func(in []*Tensor) *Tensor {
		return matmulCPU(in[0], in[1], batch, m, k, n)
	})
	if r.Err() == nil && (vecA || vecB) {
		shape := append([]int(nil), batch...)
		if !vecA {
			shape = append(shape, m)
		}
		if !vecB {
			shape = append(shape, n)
		}
		r = r.Reshape(shape...)
	}
	return r
}

func b0(b *Tensor, vec bool) []int {
	if vec {
		return b.shape[:1]
	}
	return b.shape
}

func matmulCPU(a, b *Tensor, batch []int, m, k, n int) *Tensor {
	ra, rb := len(a.shape), len(b.shape)
	nb := numel(batch)
	out := make([]float32, nb*m*n)
	if nb == 0 || m == 0 || n == 0 {
		return newHost(out, append(append([]int(nil), batch...), m, n))
	}
	aOff := batchOffsets(batch, bstrides(a.shape[:ra-2], a.strides[:ra-2], batch), a.offset)
	bOff := batchOffsets(batch, bstrides(b.shape[:rb-2], b.strides[:rb-2], batch), b.offset)
	// Pack each distinct B once.
	bl := packedBLen(k, n)
	packed := map[int][]float32{}
	var order []int
	for _, o := range bOff {
		if _, ok := packed[o]; !ok {
			packed[o] = nil
			order = append(order, o)
		}
	}
	bufs := make([][]float32, len(order))
	parallelFor(len(order), func(_ *gemmWork, i int) {
		buf := make([]float32, bl)
		packB(buf, matDesc{data: b.data, off: order[i], rs: b.strides[rb-2], cs: b.strides[rb-1], rows: k, cols: n})
		bufs[i] = buf
	})
	for i, o := range order {
		packed[o] = bufs[i]
	}
	blocks := (m + gemmMC - 1) / gemmMC
	parallelFor(nb*blocks, func(w *gemmWork, t int) {
		bi, blk := t/blocks, t%blocks
		i0 := blk * gemmMC
		mb := min(gemmMC, m-i0)
		ad := matDesc{data: a.data, off: aOff[bi], rs: a.strides[ra-2], cs: a.strides[ra-1], rows: m, cols: k}
		gemmRows(w, ad, i0, mb, packed[bOff[bi]], n, out, bi*m*n+i0*n, n)
	})
	return newHost(out, append(append([]int(nil), batch...), m, n))
}
