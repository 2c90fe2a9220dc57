package tensor

import (
	"fmt"
	"math"
	"slices"

	"github.com/attnviz/attnviz/tensor/internal/cpu"
)

// AttentionWeights is multi-head (or grouped-query) attention that keeps
// only what a model's forward pass records: the weights and the output.
//
//	Weights = softmax(Q Kᵀ/√dₖ)    causal: key j > query i gets weight 0
//	Output  = Weights V
//
// q is [Hq, T, dₖ], k is [Hkv, T, dₖ] and v [Hkv, T, dv], with Hq a
// multiple of Hkv (query head h reads key/value head h / (Hq/Hkv)); causal
// gives the mask of CausalMask(T) (query i sees keys 0 … i), false lets
// every query see every key (BERT). The result's Scores, Scaled and Masked
// are nil — ScaledDotProductAttention and GroupedQueryAttention keep them
// for lessons — which saves three [Hq, T, T] tensors per call, and with
// causal the keys after each block of queries are not computed at all.
// Q, K and V may be strided views (heads cut out of a fused projection).
// On the CPU the Output [Hq, T, dv] is a view of token-major storage
// [T, Hq, dv], so that MergeHeads(a.Output) needs no copy.
func AttentionWeights(q, k, v *Tensor, causal bool) *Attention {
	return attentionWeights(nil, q, k, v, causal)
}

func attentionWeights(dst, q, k, v *Tensor, causal bool) *Attention {
	for _, t := range []*Tensor{q, k, v} {
		if err := t.Err(); err != nil {
			return failedAttention(q, k, v, nil, err)
		}
	}
	const op = "AttentionWeights"
	if q.Rank() != 3 || k.Rank() != 3 || v.Rank() != 3 {
		return failedAttention(q, k, v, nil, shapeErr(op, "want q [heads, tokens, dₖ] and k, v [kv heads, tokens, d]", "use SplitHeads to make heads", q.shape, k.shape, v.shape))
	}
	hq, tq, dk := q.shape[0], q.shape[1], q.shape[2]
	hk, tk, dk2 := k.shape[0], k.shape[1], k.shape[2]
	hv, tv, dv := v.shape[0], v.shape[1], v.shape[2]
	switch {
	case dk != dk2 || dk == 0:
		return failedAttention(q, k, v, nil, shapeErr(op, "q and k must have the same, non-zero feature size dₖ", "", q.shape, k.shape))
	case tk != tv || tq != tk:
		return failedAttention(q, k, v, nil, shapeErr(op, "q, k and v must have the same number of tokens", "", q.shape, k.shape, v.shape))
	case hk != hv || hk == 0 || hq%hk != 0:
		return failedAttention(q, k, v, nil, shapeErr(op, fmt.Sprintf("query heads (%d) must be a multiple of the key/value heads (%d, %d)", hq, hk, hv), "k and v need the same number of heads, dividing q's", q.shape, k.shape, v.shape))
	}
	if err := checkShape(op, []int{hq, tq, tk}); err != nil {
		return failedAttention(q, k, v, nil, err)
	}
	d, err := sameDevice(op, []*Tensor{q, k, v})
	if err != nil {
		return failedAttention(q, k, v, nil, err)
	}
	scale := float32(1 / math.Sqrt(float64(dk)))
	if d != CPU {
		var mask *Tensor
		if causal {
			mask = CausalMask(tq).To(d)
		}
		a := GroupedQueryAttention(q, k, v, mask)
		releaseNow(mask) // a temporary: back to the device's cache now
		if a.err == nil {
			a.Scores, a.Scaled, a.Masked, a.Mask = nil, nil, nil, nil
		}
		if a.err == nil && dst != nil {
			if err := copyInto(dst, a.Weights); err != nil {
				return failedAttention(q, k, v, nil, err)
			}
			a.Weights = dst
		}
		return a
	}
	w, o := attentionWeightsCPU(dst, q, k, v, hq, hk, tq, dk, dv, scale, causal)
	return &Attention{Q: q, K: k, V: v, Weights: w, Output: o, Scale: scale}
}

// AttentionWeightsInto is AttentionWeights writing the weights into dst, a
// contiguous [Hq, T, T] tensor on the inputs' device — one layer of a
// model's record, rec.Index(l) — instead of a new tensor, so a forward
// pass that records every layer's weights writes each value once. The
// result's Weights is dst.
func AttentionWeightsInto(dst, q, k, v *Tensor, causal bool) *Attention {
	if err := dst.Err(); err != nil {
		return failedAttention(q, k, v, nil, err)
	}
	for _, t := range []*Tensor{q, k, v} {
		if err := t.Err(); err != nil {
			return failedAttention(q, k, v, nil, err)
		}
	}
	if q.Rank() == 3 && k.Rank() == 3 {
		want := []int{q.shape[0], q.shape[1], k.shape[1]}
		if !slices.Equal(dst.shape, want) || !dst.IsContiguous() {
			return failedAttention(q, k, v, nil, shapeErr("AttentionWeightsInto", "the destination must be a contiguous [heads, queries, keys] tensor", fmt.Sprintf("want a contiguous %v tensor: Zeros(%d, %d, %d), or rec.Index(l) of a [layers, %d, %d, %d] record", want, want[0], want[1], want[2], want[0], want[1], want[2]), dst.shape, want))
		}
		if dst.Device() != q.Device() {
			return failedAttention(q, k, v, nil, Errorf(ErrDevice, "AttentionWeightsInto: the destination is on %s but q on %s; make it with .To(%s)", dst.Device().Name(), q.Device().Name(), q.Device().Name()))
		}
	}
	return attentionWeights(dst, q, k, v, causal)
}

// attentionWeightsCPU computes the weights into dst (a contiguous
// [hq, t, t] CPU tensor) when it is not nil, else into a new tensor.
func attentionWeightsCPU(dst, q, k, v *Tensor, hq, hk, t, dk, dv int, scale float32, causal bool) (*Tensor, *Tensor) {
	ws := outWS(q, k, v)
	var weights, output []float32
	var wT *Tensor
	if dst != nil {
		weights, wT = dst.data[dst.offset:dst.offset+hq*t*t], dst
		output = allocIn(ws, hq*t*dv)
	} else {
		bufs := makeParallel(ws, hq*t*t, hq*t*dv)
		weights, output = bufs[0], bufs[1]
		wT = newHostIn(ws, weights, []int{hq, t, t})
	}
	// The output is stored token-major, [T, Hq, dv], and returned as the
	// [Hq, T, dv] view of it: MergeHeads(Output) — the input of the output
	// projection — is then a view too, not a copy.
	oT := newHostIn(ws, output, []int{t, hq, dv}).Permute(1, 0, 2)
	if t == 0 || hq == 0 {
		return wT, oT
	}
	rep := hq / hk
	// Pack Kᵀ (dₖ × T) and V (T × dv) once per key/value head, into
	// scratch kept between calls.
	kl, vl := cpu.PackedBLen(dk, t), cpu.PackedBLen(t, dv)
	kp, vp := cpu.Buf(hk*kl), cpu.Buf(hk*vl)
	defer cpu.PutBuf(kp)
	defer cpu.PutBuf(vp)
	cpu.ParallelForWork(2*hk, 4*hk*t*(dk+dv), func(_ *cpu.Work, i int) {
		h := i / 2
		if i%2 == 0 {
			cpu.PackB(kp[h*kl:(h+1)*kl], cpu.Mat{Data: k.data, Off: k.offset + h*k.strides[0], RS: k.strides[2], CS: k.strides[1], Rows: dk, Cols: t})
		} else {
			cpu.PackB(vp[h*vl:(h+1)*vl], cpu.Mat{Data: v.data, Off: v.offset + h*v.strides[0], RS: v.strides[1], CS: v.strides[2], Rows: t, Cols: dv})
		}
	})
	rb := sdpaRowBlock()
	blocks := (t + rb - 1) / rb
	nr := cpu.NR()
	work := hq * t * t * (dk + dv)
	if causal {
		work /= 2
	}
	cpu.ParallelForWork(hq*blocks, work, func(w *cpu.Work, task int) {
		h, blk := task/blocks, task%blocks
		// Causal rows are cheap near the top: hand out the heavy blocks
		// (the last rows) first so no worker is left with one at the end.
		blk = blocks - 1 - blk
		kv := h / rep
		i0 := blk * rb
		mb := min(rb, t-i0)
		// Keys this block can see: all, or up to its last query (QKᵀ
		// rounded up to whole panels of nr keys; the extra ones are
		// masked below).
		nk, seenMax := t, t
		if causal {
			nk = min(t, (i0+mb+nr-1)/nr*nr)
			seenMax = i0 + mb
		}
		sb, _ := w.BlockBufs(mb * nk)
		qd := cpu.Mat{Data: q.data, Off: q.offset + h*q.strides[0], RS: q.strides[1], CS: q.strides[2], Rows: t, Cols: dk}
		cpu.GemmRows(w, qd, i0, mb, kp[kv*kl:], nk, sb, 0, nk)
		// Scale, softmax and the zeros after the last key seen, straight
		// into the weights. A causal row is padded to a multiple of 8
		// keys with the lowest float32, whose weight comes out 0, so the
		// vector kernels need no scalar tail.
		for r := 0; r < mb; r++ {
			i := i0 + r
			seen, seen8 := t, t
			if causal {
				seen = i + 1
				seen8 = min((seen+7)&^7, nk)
			}
			o := (h*t + i) * t
			sc := sb[r*nk : r*nk+seen8]
			for j := seen; j < seen8; j++ {
				sc[j] = -math.MaxFloat32
			}
			wr := weights[o : o+seen8]
			mx, finite := cpu.ScaleMax(wr, sc, scale)
			if finite && mx > -math.MaxFloat32*scale+100 {
				sum := cpu.ExpSubSum(wr, wr, mx) // e^(pad−mx) = 0
				cpu.ScaleSlice(wr, 1/sum)
			} else {
				// Inf, NaN, or scores as low as the padding: exactly, on
				// the seen keys only.
				wr = wr[:seen]
				mx, finite = cpu.ScaleMax(wr, sc[:seen], scale)
				if !finite || math.IsInf(float64(mx), 0) {
					cpu.SoftmaxSlow(wr)
				} else {
					sum := cpu.ExpSubSum(wr, wr, mx)
					cpu.ScaleSlice(wr, 1/sum)
				}
			}
			clear(weights[o+seen : o+t])
		}
		// Output = Weights·V over the keys the block sees, one panel of
		// V's columns at a time (V was packed with all t keys).
		wd := cpu.Mat{Data: weights, Off: (h*t + i0) * t, RS: t, CS: 1, Rows: mb, Cols: seenMax}
		for j0 := 0; j0 < dv; j0 += nr {
			cpu.GemmRows(w, wd, 0, mb, vp[kv*vl+j0*t:], min(nr, dv-j0), output, (i0*hq+h)*dv+j0, hq*dv)
		}
	})
	return wT, oT
}
