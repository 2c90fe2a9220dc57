package model

import (
	"fmt"

	"github.com/attnviz/attnviz/internal/attnstat"
	"github.com/attnviz/attnviz/tensor"
)

// InductionTargets returns, for each position i of ids, the position just
// after the most recent earlier occurrence of ids[i] — where an induction
// head looks from i — or -1 when ids[i] has not occurred before.
//
//	ids      a  b  c  d  a  b  c
//	targets -1 -1 -1 -1  1  2  3
func InductionTargets(ids []int) []int { return attnstat.InductionTargets(ids) }

// InductionScore is, for every recorded layer and head, the mean weight a query
// puts on the token after the previous occurrence of its own token (see
// InductionTargets), over the queries whose token occurred before:
// [Layers, Heads]. It is viz.InductionScores of the record (one definition,
// internal/attnstat). Values near 1 mark induction heads, which continue a
// repeated sequence by copying what followed last time; on text without
// repeats there are no such queries and the record's error says so.
func (r *Record) InductionScore() *tensor.Tensor {
	if err := r.Err(); err != nil {
		return tensor.Failed(err)
	}
	targets := InductionTargets(r.IDs)
	d, err := r.Attention.ReadOnlyData()
	if err != nil {
		return tensor.Failed(err)
	}
	T := len(r.IDs)
	L, H := len(r.layers()), len(r.heads())
	out := make([]float32, L*H)
	for lh := range out {
		s, n := attnstat.Induction(d[lh*T*T:(lh+1)*T*T], T, targets)
		if n == 0 {
			return tensor.Failed(tensor.Errorf(tensor.ErrValue, "Record.InductionScore: no token of the %d repeats an earlier one, so no query has an induction target; give a prompt with a repeated part", T))
		}
		out[lh] = float32(s)
	}
	return tensor.New(out, L, H)
}

// Ablate returns a copy of the model in which the given head of the given
// layer contributes nothing: its output is zeroed before the output
// projection (its attention weights are still computed and recorded).
// Ablating a previous-token head and watching an induction head in a
// later layer lose its pattern shows that the second reads the first.
// Several heads can be ablated by chaining: m.Ablate(0, 1).Ablate(0, 3).
func (m *Model) Ablate(layer, head int) *Model {
	if m == nil {
		return nil
	}
	c := *m
	if layer < 0 || layer >= m.cfg.Layers || head < 0 || head >= m.cfg.Heads {
		c.loadErr = tensor.Errorf(tensor.ErrValue, "model: Ablate(%d, %d): out of range: the model has %d layers of %d heads", layer, head, m.cfg.Layers, m.cfg.Heads)
		return &c
	}
	c.ablated = append(append([][2]int(nil), m.ablated...), [2]int{layer, head})
	return &c
}

// Ablated lists the (layer, head) pairs Ablate switched off.
func (m *Model) Ablated() [][2]int {
	if m == nil {
		return nil
	}
	return append([][2]int(nil), m.ablated...)
}

// ablateOutput zeroes the ablated heads of layer l in out [H, T, d].
func (m *Model) ablateOutput(l int, out *tensor.Tensor) *tensor.Tensor {
	var heads []int
	for _, a := range m.ablated {
		if a[0] == l {
			heads = append(heads, a[1])
		}
	}
	if len(heads) == 0 {
		return out
	}
	keep := make([]float32, m.cfg.Heads)
	for i := range keep {
		keep[i] = 1
	}
	for _, h := range heads {
		keep[h] = 0
	}
	return out.Mul(tensor.New(keep, m.cfg.Heads, 1, 1).To(out.Device()))
}

func (m *Model) ablatedString() string {
	if len(m.ablated) == 0 {
		return ""
	}
	s := " with"
	for _, a := range m.ablated {
		s += fmt.Sprintf(" L%dH%d", a[0], a[1])
	}
	return s + " ablated"
}
