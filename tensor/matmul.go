package tensor

import (
	"fmt"

	"github.com/attnviz/attnviz/tensor/internal/cpu"
)

// The CPU matrix product is package cpu's packed, blocked GEMM (Go
// assembly micro-kernels with a portable fallback; see its doc). This file
// does what is tensor's: shapes, broadcasting of the batch dimensions, the
// error messages, and splitting the work by (batch, row block).

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
	r := apply1(opMatMul, []*Tensor{a, b}, opParams{}, func(in []*Tensor) *Tensor {
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
	outShape := append(append(make([]int, 0, len(batch)+2), batch...), m, n)
	ws := outWS(a, b)
	out := allocIn(ws, nb*m*n)
	if nb == 0 || m == 0 || n == 0 {
		return newHostIn(ws, out, outShape)
	}
	aOff := batchOffsets(batch, bstrides(a.shape[:ra-2], a.strides[:ra-2], batch), a.offset)
	bst := bstrides(b.shape[:rb-2], b.strides[:rb-2], batch)
	bOff := batchOffsets(batch, bst, b.offset)
	// Pack each distinct B once, into scratch kept between calls.
	slot, distinct := distinctOffsets(bOff, broadcasts(batch, bst))
	bl := cpu.PackedBLen(k, n)
	packed := cpu.Buf(len(distinct) * bl)
	defer cpu.PutBuf(packed)
	brs, bcs := b.strides[rb-2], b.strides[rb-1]
	if len(distinct) == 1 {
		cpu.PackBParallel(packed, cpu.Mat{Data: b.data, Off: distinct[0], RS: brs, CS: bcs, Rows: k, Cols: n})
	} else {
		cpu.ParallelForWork(len(distinct), 4*k*n*len(distinct), func(_ *cpu.Work, i int) {
			cpu.PackB(packed[i*bl:(i+1)*bl], cpu.Mat{Data: b.data, Off: distinct[i], RS: brs, CS: bcs, Rows: k, Cols: n})
		})
	}
	ars, acs := a.strides[ra-2], a.strides[ra-1]
	g := cpu.SplitGemm(nb, m, n, k)
	cpu.ParallelForWork(nb*g.RowBlocks*g.ColBlocks, nb*m*n*k, func(w *cpu.Work, t int) {
		bi := t / (g.RowBlocks * g.ColBlocks)
		t %= g.RowBlocks * g.ColBlocks
		i0 := (t / g.ColBlocks) * g.Rows
		mb := min(g.Rows, m-i0)
		j0 := (t % g.ColBlocks) * g.Cols
		nc := min(g.Cols, n-j0)
		ad := cpu.Mat{Data: a.data, Off: aOff[bi], RS: ars, CS: acs, Rows: m, Cols: k}
		bp := packed[slot[bi]*bl+j0*k:]
		cpu.GemmRows(w, ad, i0, mb, bp, nc, out, bi*m*n+i0*n+j0, n)
	})
	return newHostIn(ws, out, outShape)
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

func roundUp(a, b int) int { return ceilDiv(a, b) * b }

// distinctOffsets numbers the distinct values of offs in order of first
// appearance: slot[i] is the number of offs[i], distinct the values.
// Without broadcasting (no zero batch stride) every offset is its own.
func distinctOffsets(offs []int, broadcast bool) (slot, distinct []int) {
	slot = make([]int, len(offs))
	if !broadcast {
		for i := range slot {
			slot[i] = i
		}
		return slot, offs
	}
	seen := make(map[int]int, 8)
	for i, o := range offs {
		j, ok := seen[o]
		if !ok {
			j = len(distinct)
			seen[o] = j
			distinct = append(distinct, o)
		}
		slot[i] = j
	}
	return slot, distinct
}

// broadcasts reports whether a batch stride is 0 along a dimension of
// more than one index (an operand repeated across the batch).
func broadcasts(batch, strides []int) bool {
	for i, s := range strides {
		if s == 0 && batch[i] > 1 {
			return true
		}
	}
	return false
}
