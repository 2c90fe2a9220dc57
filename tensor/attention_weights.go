package tensor

import (
	"fmt"
	"math"

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
func AttentionWeights(q, k, v *Tensor, causal bool) *Attention {
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
		if a.err == nil {
			a.Scores, a.Scaled, a.Masked, a.Mask = nil, nil, nil, nil
		}
		return a
	}
	w, o := attentionWeightsCPU(q, k, v, hq, hk, tq, dk, dv, scale, causal)
	return &Attention{Q: q, K: k, V: v, Weights: w, Output: o, Scale: scale}
}

func attentionWeightsCPU(q, k, v *Tensor, hq, hk, t, dk, dv int, scale float32, causal bool) (*Tensor, *Tensor) {
	bufs := makeParallel(hq*t*t, hq*t*dv)
	weights, output := bufs[0], bufs[1]
	wT, oT := newHost(weights, []int{hq, t, t}), newHost(output, []int{hq, t, dv})
	if t == 0 || hq == 0 {
		return wT, oT
	}
	rep := hq / hk
	// Pack Kᵀ (dₖ × T) and V (T × dv) once per key/value head.
	kp := make([][]float32, hk)
	vp := make([][]float32, hk)
	cpu.ParallelFor(2*hk, func(_ *cpu.Work, i int) {
		h := i / 2
		if i%2 == 0 {
			kp[h] = make([]float32, cpu.PackedBLen(dk, t))
			cpu.PackB(kp[h], cpu.Mat{Data: k.data, Off: k.offset + h*k.strides[0], RS: k.strides[2], CS: k.strides[1], Rows: dk, Cols: t})
		} else {
			vp[h] = make([]float32, cpu.PackedBLen(t, dv))
			cpu.PackB(vp[h], cpu.Mat{Data: v.data, Off: v.offset + h*v.strides[0], RS: v.strides[1], CS: v.strides[2], Rows: t, Cols: dv})
		}
	})
	rb := sdpaRowBlock()
	blocks := (t + rb - 1) / rb
	nr := cpu.NR()
	cpu.ParallelFor(hq*blocks, func(w *cpu.Work, task int) {
		h, blk := task/blocks, task%blocks
		// Causal rows are cheap near the top: hand out the heavy blocks
		// (the last rows) first so no worker is left with one at the end.
		blk = blocks - 1 - blk
		kv := h / rep
		i0 := blk * rb
		mb := min(rb, t-i0)
		// Keys this block can see: all, or up to its last query, rounded
		// up to whole panels of nr keys (the extra ones are masked below).
		// Only QKᵀ is cut short; Weights·V runs over every key, the
		// weights past the query being 0 (attention is a few percent of a
		// forward pass; the projections dominate).
		nk := t
		if causal {
			nk = min(t, (i0+mb+nr-1)/nr*nr)
		}
		sb, wb := w.BlockBufs(mb * t)
		qd := cpu.Mat{Data: q.data, Off: q.offset + h*q.strides[0], RS: q.strides[1], CS: q.strides[2], Rows: t, Cols: dk}
		cpu.GemmRows(w, qd, i0, mb, kp[kv], nk, sb, 0, nk)
		for r := 0; r < mb; r++ {
			i := i0 + r
			seen := t
			if causal {
				seen = i + 1
			}
			sc, wr := sb[r*nk:r*nk+seen], wb[r*t:(r+1)*t]
			mx, finite := cpu.ScaleMax(wr[:seen], sc, scale)
			if !finite || math.IsInf(float64(mx), 0) {
				cpu.SoftmaxSlow(wr[:seen])
			} else {
				sum := cpu.ExpSubSum(wr[:seen], wr[:seen], mx)
				cpu.ScaleSlice(wr[:seen], 1/sum)
			}
			clear(wr[seen:])
			o := (h*t + i) * t
			copy(weights[o:o+seen], wr[:seen])
		}
		wd := cpu.Mat{Data: wb, RS: t, CS: 1, Rows: mb, Cols: t}
		cpu.GemmRows(w, wd, 0, mb, vp[kv], dv, output, (h*t+i0)*dv, dv)
	})
	return wT, oT
}
