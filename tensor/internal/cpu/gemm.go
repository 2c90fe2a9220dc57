package cpu

import "unsafe"

// Mat addresses a strided matrix: element (i, j) is
// Data[Off + i*RS + j*CS]. Packing reads any strides, so transposed views
// (k.T()) need no copy.
type Mat struct {
	Data       []float32
	Off        int
	RS, CS     int
	Rows, Cols int
}

// The micro-kernel in use, set at init (see matmul_amd64.go) or by Use.
var (
	gemmMR, gemmNR = 4, 4
	// gemmKernel computes C[mr×nr] = A·B (add == false) or C += A·B,
	// reading k steps of a packed A panel (k×mr) and B panel (k×nr).
	gemmKernel = kernGo4x4
	kernelName = "go 4x4"
	// gemmKernelRM, when not nil, reads A rows in place (see Config).
	gemmKernelRM func(k int, a *float32, lda int, b, c *float32, ldc int, add bool)
	// hasAVX2 selects the vector row kernels of softmax (amd64 only),
	// hasAVX512 their 16-lane versions.
	hasAVX2, hasAVX512 bool
)

// Config is one choice of micro-kernel and vector row kernels.
type Config struct {
	Name   string
	mr, nr int
	kern   func(k int, a, b, c *float32, ldc int, add bool)
	avx2   bool
	avx512 bool
	// rm, if set, is an mr × nr kernel that reads A in place (row-major,
	// unit column stride) instead of from a packed panel.
	rm func(k int, a *float32, lda int, b, c *float32, ldc int, add bool)
}

// Use installs c and returns the previous configuration (tests use it to
// run every path the CPU supports). It is not safe to call while a product
// runs.
func (c Config) Use() Config {
	old := Config{kernelName, gemmMR, gemmNR, gemmKernel, hasAVX2, hasAVX512, gemmKernelRM}
	kernelName, gemmMR, gemmNR, gemmKernel, hasAVX2, hasAVX512, gemmKernelRM = c.Name, c.mr, c.nr, c.kern, c.avx2, c.avx512, c.rm
	return old
}

// MR is the number of rows of the micro-kernel in use: a block of query
// rows that is a multiple of it fills whole tiles.
func MR() int { return gemmMR }

// NR is the number of columns of the micro-kernel in use: the width of
// the panels PackB writes (panel jp starts at jp·k·NR).
func NR() int { return gemmNR }

// KernelName names the micro-kernel in use ("avx512 8x32 in place", "go
// 4x4", ...).
func KernelName() string { return kernelName }

var goKernel = Config{"go 4x4", 4, 4, kernGo4x4, false, false, nil}

const (
	gemmKC = 256 // k steps per packed A block
	gemmMC = 96  // rows per packed A block (a multiple of every mr)

	// MC is the number of rows of A that GemmRows packs at once; a caller
	// that splits a product into row blocks uses it as the block height.
	MC = gemmMC
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

// PackedBLen is the length of B packed by PackB.
func PackedBLen(k, n int) int { return ((n + gemmNR - 1) / gemmNR) * gemmNR * k }

// PackB packs all of b (k × n) into column panels of nr: panel jp holds
// dst[jp*k*nr + p*nr + c] = b(p, jp*nr + c), zero beyond n.
func PackB(dst []float32, b Mat) {
	k, n, nr := b.Rows, b.Cols, gemmNR
	for jp := 0; jp*nr < n; jp++ {
		pan := dst[jp*k*nr : (jp+1)*k*nr]
		cols := min(nr, n-jp*nr)
		if b.CS == 1 {
			for p := 0; p < k; p++ {
				src := b.Data[b.Off+p*b.RS+jp*nr:]
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
			o := b.Off + (jp*nr+c)*b.CS
			if b.RS == 1 { // a transposed view (Kᵀ): each column is contiguous
				for p, v := range b.Data[o : o+k] {
					pan[p*nr+c] = v
				}
				continue
			}
			for p := 0; p < k; p++ {
				pan[p*nr+c] = b.Data[o+p*b.RS]
			}
		}
	}
}

// PackBParallel is PackB with the column panels shared among the
// workers (packing a large B serially would cost several percent of the
// product).
func PackBParallel(dst []float32, b Mat) {
	k, n, nr := b.Rows, b.Cols, gemmNR
	panels := (n + nr - 1) / nr
	const per = 8 // panels per task
	ParallelForWork((panels+per-1)/per, 4*k*n, func(_ *Work, t int) {
		j0 := t * per * nr
		sub := b
		sub.Off += j0 * b.CS
		sub.Cols = min(n-j0, per*nr)
		PackB(dst[j0*k:], sub)
	})
}

// packA packs rows i0..i0+mb and steps p0..p0+kb of a into row panels of
// mr: dst[ip*kb*mr + p*mr + r] = a(i0 + ip*mr + r, p0 + p), zero beyond mb.
func packA(dst []float32, a Mat, i0, mb, p0, kb int) {
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
			o := a.Off + (i0+i)*a.RS + p0*a.CS
			if a.CS == 1 {
				src := a.Data[o : o+kb]
				for p, v := range src {
					pan[p*mr+r] = v
				}
			} else {
				for p := 0; p < kb; p++ {
					pan[p*mr+r] = a.Data[o+p*a.CS]
				}
			}
		}
	}
}

// Work is one worker's scratch space.
type Work struct {
	a   []float32 // packed A block, gemmMC × gemmKC
	tmp []float32 // an edge tile
	sb  []float32 // attention: a block of scores
	wb  []float32 // attention: a block of weights
}

// BlockBufs returns the worker's two attention block buffers of n floats
// (contents undefined), 64-byte aligned.
func (w *Work) BlockBufs(n int) ([]float32, []float32) {
	if len(w.sb) < n {
		w.sb, w.wb = alignedFloats(n), alignedFloats(n)
	}
	return w.sb[:n], w.wb[:n]
}

// AlignedFloats is n zeroed float32s starting on a 64-byte boundary (a
// cache line, an AVX-512 register), for the tensor package's buffers.
func AlignedFloats(n int) []float32 { return alignedFloats(n) }

func alignedFloats(n int) []float32 {
	b := make([]float32, n+16)
	off := int(uintptr(unsafe.Pointer(&b[0]))%64) / 4
	if off != 0 {
		off = 16 - off
	}
	return b[off : off+n : off+n]
}

// GemmRows computes rows i0..i0+mb of C = A·B, where B was packed whole by
// PackB (k × n), into c[coff + i*ldc + j] (i relative to i0).
func GemmRows(w *Work, a Mat, i0, mb int, bp []float32, n int, c []float32, coff, ldc int) {
	k := a.Cols
	mr, nr := gemmMR, gemmNR
	if k == 0 {
		for i := 0; i < mb; i++ {
			clear(c[coff+i*ldc : coff+i*ldc+n])
		}
		return
	}
	if gemmKernelRM != nil && a.CS == 1 && mb >= mr {
		// Full tiles of mr rows straight from A; the last rows, if any,
		// go through the packed path below.
		full := mb - mb%mr
		for jp := 0; jp*nr < n; jp++ {
			bpan := &bp[jp*k*nr]
			cols := min(nr, n-jp*nr)
			for i := 0; i < full; i += mr {
				ap := &a.Data[a.Off+(i0+i)*a.RS]
				co := coff + i*ldc + jp*nr
				if cols == nr {
					gemmKernelRM(k, ap, a.RS, bpan, &c[co], ldc, false)
					continue
				}
				gemmKernelRM(k, ap, a.RS, bpan, &w.tmp[0], nr, false)
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
