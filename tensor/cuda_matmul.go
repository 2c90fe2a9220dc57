package tensor

import "github.com/attnviz/attnviz/tensor/internal/cuda"

// cuMat describes the matrices of one operand of a batched product: the
// address of batch 0, the batch strides aligned to the broadcast batch
// shape, and the row and column strides, in elements.
type cuMat struct {
	p      cuda.Ptr
	bst    []int
	rs, cs int
}

func cuMatOf(t *Tensor, batch []int, transpose bool) cuMat {
	r := len(t.shape)
	m := cuMat{p: cuPtr(t), bst: bstrides(t.shape[:r-2], t.strides[:r-2], batch), rs: t.strides[r-2], cs: t.strides[r-1]}
	if transpose {
		m.rs, m.cs = m.cs, m.rs
	}
	return m
}

func (k *cuKernels) matmulOp(a, b *Tensor) ([]*Tensor, error) {
	ra, rb := len(a.shape), len(b.shape)
	if ra < 2 || rb < 2 {
		return nil, errCUFallback
	}
	batch, ok := broadcastShapes(a.shape[:ra-2], b.shape[:rb-2])
	if !ok {
		return nil, errCUFallback
	}
	m, kk, n := a.shape[ra-2], a.shape[ra-1], b.shape[rb-1]
	o, op, err := k.newOut(append(append([]int(nil), batch...), m, n))
	if err != nil {
		return nil, err
	}
	if err := k.matmul(op, cuMatOf(a, batch, false), cuMatOf(b, batch, false), batch, m, kk, n); err != nil {
		return nil, err
	}
	return []*Tensor{o}, nil
}

// matmul writes C = A·B for every batch index into the contiguous
// [batch..., m, n] buffer at c: with cuBLAS when it is loaded and the
// layout allows, else with the tiled kernel.
func (k *cuKernels) matmul(c cuda.Ptr, a, b cuMat, batch []int, m, kk, n int) error {
	nb := numel(batch)
	if nb == 0 || m == 0 || n == 0 {
		return nil
	}
	if kk == 0 {
		z, err := k.temp(nb*m*n, true)
		if err != nil {
			return err
		}
		return k.d.Copy(c, z.Ptr(0), nb*m*n)
	}
	// Batch dimensions: broadcast of a and b, with C's own (contiguous)
	// strides as a third operand, collapsed where all three allow.
	cst := rowMajorStrides(append(append([]int(nil), batch...), m, n))[:len(batch)]
	bd := cuBatchDims(batch, a.bst, b.bst, cst)
	if done, err := k.gemmBlas(c, a, b, bd, m, kk, n); done || err != nil {
		return err
	}
	L, ok := cuLayout(batch, a.bst, b.bst)
	if !ok {
		return errCUFallback
	}
	grid := cuda.Dim3{X: uint32((n + 127) / 128), Y: uint32((m + 127) / 128), Z: uint32(min(nb, 65535))}
	if (m+127)/128 > 65535 || (n+127)/128 > 1<<31-1 {
		return errCUFallback
	}
	return k.d.Launch("matmul", grid, cuda.Dim3{X: 16, Y: 16, Z: 1}, c, a.p, b.p,
		int64(m), int64(n), int64(kk), int64(a.rs), int64(a.cs), int64(b.rs), int64(b.cs), L, int64(nb))
}

type cuBatchDim struct{ n, a, b, c int }

// cuBatchDims merges adjacent batch dimensions that step uniformly in all
// three operands and drops size-1 ones.
func cuBatchDims(batch, sa, sb, sc []int) []cuBatchDim {
	var ds []cuBatchDim
	for i, n := range batch {
		if n == 1 {
			continue
		}
		x := cuBatchDim{n, sa[i], sb[i], sc[i]}
		if len(ds) > 0 {
			p := &ds[len(ds)-1]
			if p.a == x.a*x.n && p.b == x.b*x.n && p.c == x.c*x.n {
				p.n *= x.n
				p.a, p.b, p.c = x.a, x.b, x.c
				continue
			}
		}
		ds = append(ds, x)
	}
	return ds
}

// gemmBlas runs the product with cublasSgemmStridedBatched, one call per
// index of the outer batch dimensions (usually one call). Row-major
// C = A·B is column-major Cᵀ = Bᵀ·Aᵀ, so B goes first.
func (k *cuKernels) gemmBlas(c cuda.Ptr, a, b cuMat, bd []cuBatchDim, m, kk, n int) (bool, error) {
	if ok, _ := k.d.HasBlas(); !ok {
		return false, nil
	}
	const maxInt32 = 1<<31 - 1
	if m > maxInt32 || n > maxInt32 || kk > maxInt32 {
		return false, nil
	}
	// op(B') must be n×kk column-major from b's (kk×n) storage.
	tb, ldb, okB := cuBlasOperand(b.rs, b.cs, kk, n)
	// op(A') must be kk×m column-major from a's (m×kk) storage.
	ta, lda, okA := cuBlasOperand(a.rs, a.cs, m, kk)
	if !okA || !okB {
		return false, nil
	}
	inner := cuBatchDim{n: 1}
	outer := bd
	if len(bd) > 0 {
		inner = bd[len(bd)-1]
		outer = bd[:len(bd)-1]
	}
	if inner.n > maxInt32 {
		return false, nil
	}
	calls := 1
	for _, d := range outer {
		calls *= d.n
	}
	if calls > 4096 {
		return false, nil // the kernel does it in one launch
	}
	idx := make([]int, len(outer))
	for call := 0; call < calls; call++ {
		var oa, ob, oc int
		for i, d := range outer {
			oa += idx[i] * d.a
			ob += idx[i] * d.b
			oc += idx[i] * d.c
		}
		_, err := k.d.Gemm(tb, ta, n, m, kk, 1,
			b.p+cuda.Ptr(4*ob), ldb, int64(inner.b),
			a.p+cuda.Ptr(4*oa), lda, int64(inner.a),
			0, c+cuda.Ptr(4*oc), n, int64(inner.c), inner.n)
		if err != nil {
			return true, err
		}
		for i := len(idx) - 1; i >= 0; i-- {
			idx[i]++
			if idx[i] < outer[i].n {
				break
			}
			idx[i] = 0
		}
	}
	return true, nil
}

// cuBlasOperand maps a row-major rows×cols matrix with strides (rs, cs) to
// the cuBLAS operand whose op() is its transpose in column-major terms:
// with cs == 1 the storage is column-major cols×rows (op N, ld = rs); with
// rs == 1 it is column-major rows×cols (op T, ld = cs).
func cuBlasOperand(rs, cs, rows, cols int) (trans bool, ld int, ok bool) {
	if rows == 1 {
		rs = max(cols, 1)
		if cols == 1 {
			cs = 1
		}
	}
	if cols == 1 && rows > 1 {
		cs = 1
		if rs < 1 {
			return false, 0, false
		}
	}
	switch {
	case cs == 1 && rs >= max(cols, 1):
		return false, rs, rs <= 1<<31-1
	case rs == 1 && cs >= max(rows, 1):
		return true, cs, cs <= 1<<31-1
	}
	return false, 0, false
}

// sdpa is scaled-dot-product attention in three launches: scores = Q·Kᵀ
// (cuBLAS or the tiled kernel), one fused row kernel that writes scaled,
// masked and weights, and output = weights·V.
func (k *cuKernels) sdpa(q, kt, v, mask *Tensor, scale float32) ([]*Tensor, error) {
	rq, rk, rv := len(q.shape), len(kt.shape), len(v.shape)
	batch, ok := broadcastShapes(q.shape[:rq-2], kt.shape[:rk-2])
	if ok {
		batch, ok = broadcastShapes(batch, v.shape[:rv-2])
	}
	if !ok {
		return nil, errCUFallback
	}
	tq, dk, tk, dv := q.shape[rq-2], q.shape[rq-1], kt.shape[rk-2], v.shape[rv-1]
	scoreShape := append(append([]int(nil), batch...), tq, tk)
	outShape := append(append([]int(nil), batch...), tq, dv)
	var ML cuda.Layout
	if mask != nil {
		ms := bstrides(mask.shape, mask.strides, scoreShape)
		L, ok := cuLayout(scoreShape[:len(scoreShape)-1], ms[:len(ms)-1], nil)
		if !ok || L.ND >= cuda.MaxDims {
			return nil, errCUFallback
		}
		// the kernel walks the leading dims and steps the last itself
		L.Shape[L.ND], L.SA[L.ND] = int64(tk), int64(ms[len(ms)-1])
		L.ND++
		ML = L
	}
	shapes := [][]int{scoreShape, scoreShape, nil, scoreShape, outShape} // scores, scaled, masked, weights, output
	if mask != nil {
		shapes[2] = scoreShape
	}
	res, ptrs, err := k.newOuts(shapes...)
	if err != nil {
		return nil, err
	}
	sp, scp, mp, wp, op := ptrs[0], ptrs[1], ptrs[2], ptrs[3], ptrs[4]
	if mask == nil { // masking does nothing: the masked scores are the scaled ones
		res[2], mp = res[1], scp
	}
	nb := numel(batch)
	if nb == 0 || tq == 0 {
		return res, nil
	}
	if err := k.matmul(sp, cuMatOf(q, batch, false), cuMatOf(kt, batch, true), batch, tq, dk, tk); err != nil {
		return nil, err
	}
	rows := nb * tq
	if tk > 0 {
		var maskp cuda.Ptr
		if mask != nil {
			maskp = cuPtr(mask)
		}
		if err := k.d.Launch("sdpa_rows", cuRowGrid(rows), cuBlock, sp, scp, mp, wp, maskp, ML, int64(rows), int64(tk), scale); err != nil {
			return nil, err
		}
	}
	wm := cuMat{p: wp, bst: rowMajorStrides(scoreShape)[:len(batch)], rs: tk, cs: 1}
	if err := k.matmul(op, wm, cuMatOf(v, batch, false), batch, tq, tk, dv); err != nil {
		return nil, err
	}
	return res, nil
}
