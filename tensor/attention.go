package tensor

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/attnviz/attnviz/tensor/internal/cpu"

	"github.com/attnviz/attnviz/internal/english"
)

// Attention holds every step of scaled dot-product attention, so a lesson
// can show each one:
//
//	Scores  = Q Kᵀ                        [..., Tq, Tk]
//	Scaled  = Scores · Scale,  Scale = 1/√dₖ
//	Masked  = Scaled where the mask allows, −Inf where it blocks
//	          (the same tensor as Scaled when there is no mask)
//	Weights = softmax(Masked) over the keys (each row sums to 1; a query
//	          that may attend to no key gets a row of zeros)
//	Output  = Weights V                   [..., Tq, dv]
//
// Rows are queries, columns are keys. Err reports a problem with the
// inputs; every tensor field then carries the same error.
type Attention struct {
	Q, K, V *Tensor // the inputs, as given
	Mask    *Tensor // the mask as given (1 = may attend), or nil

	Scores  *Tensor // Q Kᵀ
	Scaled  *Tensor // Scores / √dₖ
	Masked  *Tensor // Scaled with blocked positions at −Inf
	Weights *Tensor // softmax(Masked) over the last dimension
	Output  *Tensor // Weights V

	Scale float32 // 1/√dₖ

	err error
}

// Err returns the error of the computation, or nil. A nil *Attention has an
// error.
func (a *Attention) Err() error {
	if a == nil {
		return Errorf(ErrValue, "tensor: nil *Attention")
	}
	return a.err
}

// String lists the shapes of the steps, or the error.
func (a *Attention) String() string {
	if err := a.Err(); err != nil {
		return "attention error: " + err.Error()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Attention(scale=1/√%g=%.4g", math.Round(1/float64(a.Scale)/float64(a.Scale)), a.Scale)
	for _, f := range []struct {
		name string
		t    *Tensor
	}{{"Q", a.Q}, {"K", a.K}, {"V", a.V}, {"Mask", a.Mask}, {"Scores", a.Scores}, {"Weights", a.Weights}, {"Output", a.Output}} {
		if f.t != nil {
			fmt.Fprintf(&b, ", %s %v", f.name, f.t.shape)
		}
	}
	b.WriteString(")")
	return b.String()
}

func failedAttention(q, k, v, mask *Tensor, err error) *Attention {
	f := Failed(err)
	return &Attention{Q: q, K: k, V: v, Mask: mask, Scores: f, Scaled: f, Masked: f, Weights: f, Output: f, err: err}
}

// ScaledDotProductAttention computes softmax(Q Kᵀ/√dₖ) V and keeps every
// intermediate (see Attention).
//
// Shapes: q is [..., Tq, dₖ], k is [..., Tk, dₖ], v is [..., Tk, dv]; the
// leading (batch, head) dimensions broadcast. mask may be nil; otherwise it
// broadcasts to [..., Tq, Tk] and holds 1 (or any non-zero) where query i
// may attend key j and 0 where it may not — the convention of CausalMask,
// PaddingMask and torch's boolean attn_mask. A query row with no allowed
// key gets zero weights and a zero output (PyTorch gives NaN there).
//
// Keeping every step costs memory: Scores, Scaled, Weights (and Masked,
// with a mask) are each [..., Tq, Tk] float32 — 200 MB apiece for 12 heads
// at 2048 tokens.
//
// On the CPU the steps are fused: for a block of query rows, QKᵀ is
// computed with the packed GEMM, then scaling, masking and softmax run in
// one pass over rows that are still in cache, then the block's output is
// multiplied out — while every intermediate is still stored. An accelerator
// receives it as the single op opSDPA.
func ScaledDotProductAttention(q, k, v, mask *Tensor) *Attention {
	for _, t := range []*Tensor{q, k, v} {
		if err := t.Err(); err != nil {
			return failedAttention(q, k, v, mask, err)
		}
	}
	if mask != nil && mask.Err() != nil {
		return failedAttention(q, k, v, mask, mask.Err())
	}
	var ms []int
	if mask != nil {
		ms = mask.shape
	}
	batch, err := sdpaShapes(q.shape, k.shape, v.shape, ms)
	if err != nil {
		return failedAttention(q, k, v, mask, err)
	}
	rq, rv := q.Rank(), v.Rank()
	tq, dk := q.shape[rq-2], q.shape[rq-1]
	tk, dv := k.shape[k.Rank()-2], v.shape[rv-1]
	scale := float32(1 / math.Sqrt(float64(dk)))
	in := []*Tensor{q, k, v}
	if mask != nil {
		in = append(in, mask)
	}
	out := apply(opSDPA, in, opParams{Scale: scale}, func(in []*Tensor) []*Tensor {
		var m *Tensor
		if len(in) == 4 {
			m = in[3]
		}
		return sdpaCPU(in[0], in[1], in[2], m, batch, tq, tk, dk, dv, scale)
	})
	if len(out) != 5 {
		err := out[0].Err()
		if err == nil {
			err = Errorf(ErrDevice, "SDPA: device returned %d results, want 5", len(out))
		}
		return failedAttention(q, k, v, mask, err)
	}
	for _, t := range out {
		if err := t.Err(); err != nil {
			return failedAttention(q, k, v, mask, err)
		}
	}
	return &Attention{Q: q, K: k, V: v, Mask: mask, Scores: out[0], Scaled: out[1], Masked: out[2], Weights: out[3], Output: out[4], Scale: scale}
}

// sdpaShapes checks the shapes of attention's inputs (ms is nil without
// a mask) and returns the broadcast batch shape.
func sdpaShapes(qs, ks, vs, ms []int) ([]int, error) {
	const op = "ScaledDotProductAttention"
	if len(qs) < 2 || len(ks) < 2 || len(vs) < 2 {
		return nil, shapeErr(op, "q, k and v need at least 2 dimensions [tokens, features]", "use Unsqueeze(0) on a single vector", qs, ks, vs)
	}
	rq, rk, rv := len(qs), len(ks), len(vs)
	tq, dk := qs[rq-2], qs[rq-1]
	tk, dk2 := ks[rk-2], ks[rk-1]
	tv := vs[rv-2]
	if dk != dk2 {
		hint := "q and k must be projected to the same size"
		if tk == dk {
			hint = "pass k itself, not k.T(): attention transposes it"
		}
		return nil, shapeErr(op, "q and k must have the same feature size dₖ (last dimension)", hint, qs, ks)
	}
	if dk == 0 {
		return nil, shapeErr(op, "q and k have no features (dₖ = 0), so the scale 1/√dₖ is infinite", "give q and k at least one feature", qs, ks)
	}
	if tk != tv {
		return nil, shapeErr(op, "k and v must have the same number of tokens (second-to-last dimension)", "every key needs a value", ks, vs)
	}
	batch, ok := broadcastShapes(qs[:rq-2], ks[:rk-2])
	if ok {
		batch, ok = broadcastShapes(batch, vs[:rv-2])
	}
	if !ok {
		return nil, shapeErr(op, "leading (batch/head) dimensions do not broadcast", "give q, k and v the same heads, or use GroupedQueryAttention for fewer KV heads", qs, ks, vs)
	}
	scoreShape := append(append([]int(nil), batch...), tq, tk)
	if ms != nil {
		mb, ok := broadcastShapes(scoreShape, ms)
		if !ok || !slices.Equal(mb, scoreShape) {
			return nil, shapeErr(op, "mask does not broadcast to the scores [..., queries, keys]", fmt.Sprintf("want a mask broadcastable to %v, e.g. CausalMask(%d)", scoreShape, tq), ms, scoreShape)
		}
	}
	if err := checkShape(op, scoreShape); err != nil {
		return nil, err
	}
	return batch, nil
}

// sdpaRowBlock is the number of query rows one task handles: enough for a
// few micro-kernel tiles, small enough that the block's scores, scaled
// scores and weights stay in L2 while they are turned into the output.
func sdpaRowBlock() int {
	mr := cpu.MR()
	return mr * ((32 + mr - 1) / mr)
}

// streamBytes is the size of one score tensor above which attention
// writes its kept intermediates with streaming stores.
var streamBytes = 8 << 20

func sdpaCPU(q, k, v, mask *Tensor, batch []int, tq, tk, dk, dv int, scale float32) []*Tensor {
	nb := numel(batch)
	rq, rk, rv := q.Rank(), k.Rank(), v.Rank()
	ss := nb * tq * tk
	sizes := []int{ss, ss, ss, nb * tq * dv}
	if mask != nil {
		sizes = append(sizes, ss)
	}
	ws := outWS(q, k, v, mask)
	bufs := makeParallel(ws, sizes...)
	scores, scaled, weights, output := bufs[0], bufs[1], bufs[2], bufs[3]
	masked := scaled
	if mask != nil {
		masked = bufs[4]
	}
	scoreShape := append(append([]int(nil), batch...), tq, tk)
	outShape := append(append([]int(nil), batch...), tq, dv)
	sT := newHostIn(ws, scores, scoreShape)
	scT := newHostIn(ws, scaled, scoreShape)
	mT := scT
	if mask != nil {
		mT = newHostIn(ws, masked, scoreShape)
	}
	result := []*Tensor{sT, scT, mT, newHostIn(ws, weights, scoreShape), newHostIn(ws, output, outShape)}
	if ss == 0 || nb == 0 {
		clear(output) // no keys: a zero output (workspace memory is not zeroed)
		return result
	}

	qOff := batchOffsets(batch, bstrides(q.shape[:rq-2], q.strides[:rq-2], batch), q.offset)
	kst := bstrides(k.shape[:rk-2], k.strides[:rk-2], batch)
	vst := bstrides(v.shape[:rv-2], v.strides[:rv-2], batch)
	kOff := batchOffsets(batch, kst, k.offset)
	vOff := batchOffsets(batch, vst, v.offset)
	var mOff []int
	var mrs, mcs int
	if mask != nil {
		ms := bstrides(mask.shape, mask.strides, scoreShape)
		mOff = batchOffsets(batch, ms[:len(batch)], mask.offset)
		mrs, mcs = ms[len(batch)], ms[len(batch)+1]
	}

	// Pack Kᵀ (dₖ × Tk) and V (Tk × dv) once per distinct head (grouped-
	// query attention broadcasts a key/value head over several query
	// heads), into scratch kept between calls.
	kSlot, kDist := distinctOffsets(kOff, broadcasts(batch, kst))
	vSlot, vDist := distinctOffsets(vOff, broadcasts(batch, vst))
	kl, vl := cpu.PackedBLen(dk, tk), cpu.PackedBLen(tk, dv)
	kp, vp := cpu.Buf(len(kDist)*kl), cpu.Buf(len(vDist)*vl)
	defer cpu.PutBuf(kp)
	defer cpu.PutBuf(vp)
	nk := len(kDist)
	cpu.ParallelForWork(nk+len(vDist), 4*(nk*dk*tk+len(vDist)*tk*dv), func(_ *cpu.Work, i int) {
		if i < nk {
			cpu.PackB(kp[i*kl:(i+1)*kl], cpu.Mat{Data: k.data, Off: kDist[i], RS: k.strides[rk-1], CS: k.strides[rk-2], Rows: dk, Cols: tk})
			return
		}
		i -= nk
		cpu.PackB(vp[i*vl:(i+1)*vl], cpu.Mat{Data: v.data, Off: vDist[i], RS: v.strides[rv-2], CS: v.strides[rv-1], Rows: tk, Cols: dv})
	})

	// Streaming (non-temporal) stores pay off when the kept tensors are
	// far larger than the caches; small ones are better left in cache.
	stream := ss*4 > streamBytes
	rb := sdpaRowBlock()
	blocks := (tq + rb - 1) / rb
	negInf := float32(math.Inf(-1))
	cpu.ParallelForWork(nb*blocks, nb*tq*tk*(dk+dv), func(w *cpu.Work, task int) {
		b, blk := task/blocks, task%blocks
		i0 := blk * rb
		mb := min(rb, tq-i0)
		base := b * tq * tk
		// Large tensors: the block's scores and weights are built in
		// per-worker buffers that stay in cache, and the kept tensors are
		// written once, with streaming stores. Small ones (they fit in
		// the caches): straight into the kept tensors, no copies.
		var sb, wb []float32
		sOff := 0
		if stream {
			sb, wb = w.BlockBufs(mb * tk)
		} else {
			sb, sOff = scores, base+i0*tk
		}
		// 1. scores = Q Kᵀ for this block of queries.
		qd := cpu.Mat{Data: q.data, Off: qOff[b], RS: q.strides[rq-2], CS: q.strides[rq-1], Rows: tq, Cols: dk}
		cpu.GemmRows(w, qd, i0, mb, kp[kSlot[b]*kl:], tk, sb, sOff, tk)
		// 2. scale, mask, softmax, row by row.
		for r := 0; r < mb; r++ {
			o := base + (i0+r)*tk
			var sc, wr []float32
			var mx float32
			var finite bool
			if stream {
				sc, wr = sb[r*tk:(r+1)*tk], wb[r*tk:(r+1)*tk]
				mx, finite = cpu.CopyScaleMax(scores[o:o+tk], scaled[o:o+tk], sc, scale, true)
			} else {
				sc, wr = scores[o:o+tk], weights[o:o+tk]
				mx, finite = cpu.ScaleMax(scaled[o:o+tk], sc, scale)
			}
			if mask == nil {
				if !finite || math.IsInf(float64(mx), 0) {
					copy(wr, scaled[o:o+tk])
					cpu.SoftmaxSlow(wr)
				} else {
					sum := cpu.ExpScaleSubSum(wr, sc, scale, mx)
					cpu.ScaleSlice(wr, 1/sum)
				}
				if stream {
					cpu.StreamCopy(weights[o:o+tk], wr, true)
				}
				continue
			}
			md := wr // the masked row
			if !stream {
				md = masked[o : o+tk]
			}
			mo := mOff[b] + (i0+r)*mrs
			mmax := negInf
			if mcs == 1 {
				mrow := mask.data[mo : mo+tk]
				md := md[:len(mrow)]
				for j, x := range sc[:len(mrow)] {
					x *= scale // == scaled[o+j], recomputed from the cached scores
					if mrow[j] != 0 {
						md[j] = x
						mmax = max(mmax, x)
					} else {
						md[j] = negInf
					}
				}
			} else {
				for j, x := range sc {
					x *= scale
					if mask.data[mo+j*mcs] != 0 {
						md[j] = x
						mmax = max(mmax, x)
					} else {
						md[j] = negInf
					}
				}
			}
			if stream {
				cpu.StreamCopy(masked[o:o+tk], wr, true)
			}
			if !finite {
				copy(wr, md)
				cpu.SoftmaxSlow(wr)
			} else {
				cpu.SoftmaxMasked(wr, md, mmax)
			}
			if stream {
				cpu.StreamCopy(weights[o:o+tk], wr, true)
			}
		}
		// 3. output = weights V for the block.
		wd := cpu.Mat{Data: wb, RS: tk, CS: 1, Rows: mb, Cols: tk}
		if !stream {
			wd = cpu.Mat{Data: weights, Off: base + i0*tk, RS: tk, CS: 1, Rows: mb, Cols: tk}
		}
		cpu.GemmRows(w, wd, 0, mb, vp[vSlot[b]*vl:], dv, output, b*tq*dv+i0*dv, dv)
	})
	return result
}

// makeParallel allocates zeroed slices of the given sizes, the large ones
// on separate goroutines so that the runtime's zeroing of hundreds of
// megabytes (n = 2048: 200 MB per score tensor) uses every core. With a
// workspace, they come from it (not zeroed).
func makeParallel(ws *Workspace, sizes ...int) [][]float32 {
	out := make([][]float32, len(sizes))
	if ws != nil {
		for i, n := range sizes {
			out[i] = ws.floats(n)
		}
		return out
	}
	total := 0
	for _, n := range sizes {
		total += n
	}
	if total < 1<<18 {
		// Small: one allocation is cheaper than several.
		all := make([]float32, total)
		for i, n := range sizes {
			out[i], all = all[:n:n], all[n:]
		}
		return out
	}
	// The runtime zeroes each allocation on the goroutine that makes it:
	// make them on the workers, so that the zeroing of megabytes (12
	// heads at n = 128: 2.8 MB; at n = 2048: 200 MB per score tensor)
	// uses every core.
	cpu.ParallelFor(len(sizes), func(_ *cpu.Work, i int) { out[i] = make([]float32, sizes[i]) })
	return out
}

// --- heads --------------------------------------------------------------------

// SplitHeads cuts the features of x into h heads: [T, D] → [h, T, D/h] and
// [B, T, D] → [B, h, T, D/h]. Head i holds features i·D/h … (i+1)·D/h − 1,
// as in every Transformer implementation (PyTorch:
// x.view(B, T, h, D//h).transpose(1, 2)). D must divide by h.
func SplitHeads(x *Tensor, h int) *Tensor {
	if x.Err() != nil {
		return Failed(x.Err())
	}
	r := x.Rank()
	if r != 2 && r != 3 {
		return Failed(shapeErr("SplitHeads", "want [tokens, features] or [batch, tokens, features]", "", x.shape))
	}
	if h <= 0 {
		return Failed(Errorf(ErrValue, "SplitHeads: want h ≥ 1 heads, got %d", h))
	}
	d := x.shape[r-1]
	if d%h != 0 {
		return Failed(shapeErr("SplitHeads", fmt.Sprintf("%s do not divide into %s", english.Count(d, "feature"), english.Count(h, "head")), "pick h that divides the last dimension", x.shape))
	}
	if r == 2 {
		return x.Reshape(x.shape[0], h, d/h).Permute(1, 0, 2).Contiguous()
	}
	return x.Reshape(x.shape[0], x.shape[1], h, d/h).Permute(0, 2, 1, 3).Contiguous()
}

// MergeHeads is the inverse of SplitHeads: [h, T, dₕ] → [T, h·dₕ] and
// [B, h, T, dₕ] → [B, T, h·dₕ] (the heads' outputs side by side, ready for
// the output projection).
func MergeHeads(x *Tensor) *Tensor {
	if x.Err() != nil {
		return Failed(x.Err())
	}
	s := x.shape
	switch len(s) {
	case 3:
		return x.Permute(1, 0, 2).Reshape(s[1], s[0]*s[2])
	case 4:
		return x.Permute(0, 2, 1, 3).Reshape(s[0], s[2], s[1]*s[3])
	}
	return Failed(shapeErr("MergeHeads", "want [heads, tokens, dₕ] or [batch, heads, tokens, dₕ]", "", x.shape))
}

// RepeatKV repeats each key/value head nRep times along the head dimension
// (the third from the end): [..., Hkv, T, d] → [..., Hkv·nRep, T, d], with
// head h of the result being head h/nRep of x (Hugging Face's repeat_kv,
// torch.repeat_interleave(x, nRep, dim=-3)).
func RepeatKV(x *Tensor, nRep int) *Tensor {
	if x.Err() != nil {
		return Failed(x.Err())
	}
	if nRep < 1 {
		return Failed(Errorf(ErrValue, "RepeatKV: want nRep ≥ 1, got %d", nRep))
	}
	r := x.Rank()
	if r < 3 {
		return Failed(shapeErr("RepeatKV", "want [..., heads, tokens, d] (at least 3 dimensions)", "use Unsqueeze(0) to add a head dimension", x.shape))
	}
	if nRep == 1 {
		return x
	}
	shape := append(append(append([]int(nil), x.shape[:r-2]...), nRep), x.shape[r-2:]...)
	strides := append(append(append([]int(nil), x.strides[:r-2]...), 0), x.strides[r-2:]...)
	out := append([]int(nil), x.shape...)
	out[r-3] *= nRep
	return x.view(shape, strides, x.offset).Reshape(out...)
}

// GroupedQueryAttention is attention with fewer key/value heads than query
// heads (GQA, as in Llama 2 70B and Llama 3): q is [..., Hq, T, d], k and v
// are [..., Hkv, T, d] with Hq a multiple of Hkv, and query head h uses KV
// head h / (Hq/Hkv). Hkv = Hq is ordinary multi-head attention and Hkv = 1
// multi-query attention. The Attention's K and V are the inputs as given
// (Hkv heads); its scores and weights have Hq heads.
func GroupedQueryAttention(q, k, v, mask *Tensor) *Attention {
	for _, t := range []*Tensor{q, k, v} {
		if err := t.Err(); err != nil {
			return failedAttention(q, k, v, mask, err)
		}
	}
	if q.Rank() < 3 || k.Rank() < 3 || v.Rank() < 3 {
		return failedAttention(q, k, v, mask, shapeErr("GroupedQueryAttention", "want [..., heads, tokens, d] for q, k and v", "use SplitHeads to make heads", q.shape, k.shape, v.shape))
	}
	hq, hk, hv := q.shape[q.Rank()-3], k.shape[k.Rank()-3], v.shape[v.Rank()-3]
	if hk != hv || hk == 0 || hq%hk != 0 {
		return failedAttention(q, k, v, mask, shapeErr("GroupedQueryAttention", fmt.Sprintf("query heads (%d) must be a multiple of the key/value heads (%d, %d)", hq, hk, hv), "k and v need the same number of heads, dividing q's", q.shape, k.shape, v.shape))
	}
	rep := hq / hk
	if rep == 1 {
		return ScaledDotProductAttention(q, k, v, mask)
	}
	// The same checks and messages as attention on repeated heads …
	kr := append([]int(nil), k.shape...)
	vr := append([]int(nil), v.shape...)
	kr[len(kr)-3] *= rep
	vr[len(vr)-3] *= rep
	var ms []int
	if mask != nil {
		if err := mask.Err(); err != nil {
			return failedAttention(q, k, v, mask, err)
		}
		ms = mask.shape
	}
	batch, err := sdpaShapes(q.shape, kr, vr, ms)
	if err != nil {
		return failedAttention(q, k, v, mask, err)
	}
	// … but no copy of k and v: query heads [..., Hq, T, d] become
	// [..., Hkv, rep, T, d] and k, v [..., Hkv, 1, T, d], so that one
	// key/value head broadcasts over its group of query heads (each is
	// packed once for the products).
	rq := q.Rank()
	q5 := q.Reshape(append(append(append([]int(nil), q.shape[:rq-3]...), hk, rep), q.shape[rq-2:]...)...)
	k5 := k.Unsqueeze(k.Rank() - 2)
	v5 := v.Unsqueeze(v.Rank() - 2)
	m5 := mask
	if mask != nil && mask.Rank() >= 3 {
		mr := mask.Rank()
		if mask.shape[mr-3] == 1 {
			m5 = mask.Unsqueeze(mr - 2)
		} else {
			m5 = mask.Reshape(append(append(append([]int(nil), mask.shape[:mr-3]...), hk, rep), mask.shape[mr-2:]...)...)
		}
	}
	a := ScaledDotProductAttention(q5, k5, v5, m5)
	if a.err != nil {
		return failedAttention(q, k, v, mask, a.err)
	}
	tq, tk, dv := q.shape[rq-2], k.shape[k.Rank()-2], v.shape[v.Rank()-1]
	scoreShape := append(append([]int(nil), batch...), tq, tk)
	outShape := append(append([]int(nil), batch...), tq, dv)
	a.Q, a.K, a.V, a.Mask = q, k, v, mask
	a.Scores = a.Scores.Reshape(scoreShape...)
	masked := a.Masked
	a.Scaled = a.Scaled.Reshape(scoreShape...)
	a.Masked = a.Scaled // the same tensor without a mask, as in ScaledDotProductAttention
	if mask != nil {
		a.Masked = masked.Reshape(scoreShape...)
	}
	a.Weights = a.Weights.Reshape(scoreShape...)
	a.Output = a.Output.Reshape(outShape...)
	return a
}
