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
	out := make([]float32, nb*m*n)
	if nb == 0 || m == 0 || n == 0 {
		return newHost(out, append(append([]int(nil), batch...), m, n))
	}
	aOff := batchOffsets(batch, bstrides(a.shape[:ra-2], a.strides[:ra-2], batch), a.offset)
	bOff := batchOffsets(batch, bstrides(b.shape[:rb-2], b.strides[:rb-2], batch), b.offset)
	// Pack each distinct B once.
	bl := cpu.PackedBLen(k, n)
	packed := map[int][]float32{}
	var order []int
	for _, o := range bOff {
		if _, ok := packed[o]; !ok {
			packed[o] = nil
			order = append(order, o)
		}
	}
	bufs := make([][]float32, len(order))
	cpu.ParallelFor(len(order), func(_ *cpu.Work, i int) {
		buf := make([]float32, bl)
		cpu.PackB(buf, cpu.Mat{Data: b.data, Off: order[i], RS: b.strides[rb-2], CS: b.strides[rb-1], Rows: k, Cols: n})
		bufs[i] = buf
	})
	for i, o := range order {
		packed[o] = bufs[i]
	}
	blocks := (m + cpu.MC - 1) / cpu.MC
	cpu.ParallelFor(nb*blocks, func(w *cpu.Work, t int) {
		bi, blk := t/blocks, t%blocks
		i0 := blk * cpu.MC
		mb := min(cpu.MC, m-i0)
		ad := cpu.Mat{Data: a.data, Off: aOff[bi], RS: a.strides[ra-2], CS: a.strides[ra-1], Rows: m, Cols: k}
		cpu.GemmRows(w, ad, i0, mb, packed[bOff[bi]], n, out, bi*m*n+i0*n, n)
	})
	return newHost(out, append(append([]int(nil), batch...), m, n))
}
