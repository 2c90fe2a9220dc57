package viz

import (
	"fmt"
	"math"
	"strconv"

	"github.com/attnviz/attnviz/internal/english"
	"github.com/attnviz/attnviz/tensor"
	"github.com/attnviz/attnviz/viz/internal/echarts"
	"github.com/attnviz/attnviz/viz/internal/raster"
)

// Steps draws scaled dot-product attention step by step,
//
//	O = softmax(Q Kᵀ / √d_k + mask) V,
//
// from queries Q [Tq, dₖ], keys K [Tk, dₖ] and values V [Tk, dᵥ] (and the
// Mask option, 1 = may attend): panels for Q, K, Kᵀ, QKᵀ, ÷√d_k, the mask,
// softmax, V and the output, each titled with its formula and, for small
// examples, with the numbers in the cells. Raw values use the diverging map
// centred on 0, weights the sequential one.
func Steps(q, k, v *tensor.Tensor, opts ...Option) *Figure {
	return build(stepsView, opts, tensors(q, k, v))
}

func drawSteps(f *Figure, in inputs) (*raster.Page, error) {
	cfg := &f.cfg
	names := [3]string{"Q", "K", "V"}
	var vals [3][]float32
	var shapes [3][]int
	for i, t := range in.t {
		var err error
		if vals[i], shapes[i], err = read("Steps", names[i], t); err != nil {
			return nil, err
		}
	}
	for i, s := range shapes {
		if shapes[i] = squeezeLead(s, 2); len(shapes[i]) != 2 {
			hint := "pick one head, e.g. q.Index(h) for [heads, tokens, features], q.Index(b, h) for [batch, heads, tokens, features]"
			return nil, shapeErr("Steps", names[i]+" as a 2-D [tokens × features] matrix", s, hint)
		}
	}
	qd, kd, vd := vals[0], vals[1], vals[2]
	qs, ks, vs := shapes[0], shapes[1], shapes[2]
	Tq, dk, Tk, dv := qs[0], qs[1], ks[0], vs[1]
	if ks[1] != dk {
		return nil, shapeErr("Steps", fmt.Sprintf("K with %s like Q [%d %d]", english.Count(dk, "feature"), Tq, dk), ks, "Q and K must have the same last dimension dₖ")
	}
	if vs[0] != Tk {
		return nil, shapeErr("Steps", fmt.Sprintf("V with %s, one per key (K is %v)", english.Count(Tk, "row"), ks), vs, "")
	}
	for i := range vals {
		if err := checkValues("Steps", names[i], vals[i], shapes[i], false); err != nil {
			return nil, err
		}
	}
	if err := tokenCountErr("Steps", cfg, Tq, Tk); err != nil {
		return nil, err
	}
	blocked, err := readMask("Steps", cfg.mask, Tq, Tk)
	if err != nil {
		return nil, err
	}
	// the query the interactive view opens on
	query, err := checkQuery("Steps", cfg, Tq, 0, "query|queries")
	if err != nil {
		return nil, err
	}
	// the computation, on the host
	scale := 1 / math.Sqrt(float64(dk))
	S := make([]float32, Tq*Tk)
	Sc := make([]float32, Tq*Tk)
	for i, s := range hostMatMul(qd, kd, Tq, dk, Tk, true) {
		S[i] = float32(s)
		Sc[i] = float32(s * scale)
	}
	A := make([]float32, Tq*Tk)
	for i := 0; i < Tq; i++ {
		mx := math.Inf(-1)
		for j := 0; j < Tk; j++ {
			if blocked == nil || !blocked[i*Tk+j] {
				mx = math.Max(mx, float64(Sc[i*Tk+j]))
			}
		}
		if math.IsInf(mx, -1) {
			continue // every key blocked: a row of zeros
		}
		sum := 0.0
		for j := 0; j < Tk; j++ {
			if blocked == nil || !blocked[i*Tk+j] {
				e := math.Exp(float64(Sc[i*Tk+j]) - mx)
				A[i*Tk+j] = float32(e)
				sum += e
			}
		}
		for j := 0; j < Tk; j++ {
			A[i*Tk+j] = float32(float64(A[i*Tk+j]) / sum)
		}
	}
	O := make([]float32, Tq*dv)
	for i, s := range hostMatMul(A, vd, Tq, Tk, dv, false) {
		O[i] = float32(s)
	}
	Kt := make([]float32, dk*Tk)
	for j := 0; j < Tk; j++ {
		for c := 0; c < dk; c++ {
			Kt[c*Tk+j] = kd[j*dk+c]
		}
	}
	sd := &stepsData{Tq, Tk, dk, dv, qd, kd, Kt, vd, S, Sc, A, O, blocked, scale, query}
	f.data = sd
	return stepsPage(f, sd), nil
}

// hostMatMul returns the [n × m] product of a [n × k] and b in float64:
// b is [k × m], or [m × k] when transB.
func hostMatMul(a, b []float32, n, k, m int, transB bool) []float64 {
	out := make([]float64, n*m)
	for i := 0; i < n; i++ {
		for j := 0; j < m; j++ {
			s := 0.0
			for t := 0; t < k; t++ {
				bv := b[t*m+j]
				if transB {
					bv = b[j*k+t]
				}
				s += float64(a[i*k+t]) * float64(bv)
			}
			out[i*m+j] = s
		}
	}
	return out
}

// stepsData is every step of the computation, for the static panels and
// the interactive view.
type stepsData struct {
	Tq, Tk, dk, dv           int
	Q, K, Kt, V, S, Sc, A, O []float32
	blocked                  []bool
	scale                    float64
	query                    int // the row the interactive view opens on
}

func stepsPage(f *Figure, s *stepsData) *raster.Page {
	cfg := &f.cfg
	seq := cfg.cmap
	if seq == nil || seq.Diverging() {
		seq = Viridis
	}
	c := newCanvas(cfg, []*Colormap{Diverging, seq}, nil)
	div, sq := c.maps[0], c.maps[1]
	maxDim := 0
	for _, v := range []int{s.Tq, s.Tk, s.dk, s.dv} {
		if v > maxDim {
			maxDim = v
		}
	}
	annot := maxDim <= 8
	if cfg.has(optAnnotate | optNoAnnotate) {
		annot = cfg.annotate && maxDim <= 24
	}
	cell := int(c.px(260)) / maxDim
	if cell > int(c.px(40)) {
		cell = int(c.px(40))
	}
	if annot {
		w := c.tw("−0.00", ptAnnot, false) + c.px(6)
		if float64(cell) < w {
			cell = int(w)
		}
	}
	if cell < 1 {
		cell = 1
	}
	dims := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = "d" + strconv.Itoa(i)
		}
		return out
	}
	sym := func(d []float32, skip []bool) (float64, float64) {
		lo, hi, ok := minMax(d, skip)
		if !ok {
			return -1, 1
		}
		m := math.Max(math.Abs(lo), math.Abs(hi))
		if m == 0 {
			m = 1
		}
		return -m, m
	}
	panel := func(title string, rows, cols int, vals []float32, rl, cl []string, seqMap bool, masked []bool) *matPanel {
		m := &matPanel{rows: rows, cols: cols, vals: vals, title: title, rowLabels: rl, colLabels: cl,
			highlight: -1, cell: cell, pool: 1, annotate: annot, masked: masked, maskText: "−∞", titleLeft: true}
		if seqMap {
			m.cmap, m.lo, m.hi = sq, 0, 1
		} else {
			m.cmap = div
			m.lo, m.hi = sym(vals, masked)
		}
		m.decimals = decimalsFor(math.Max(math.Abs(m.lo), math.Abs(m.hi)))
		return m
	}
	tokOrIdx := func(t []string, n int) []string {
		if t != nil {
			return t
		}
		out := make([]string, n)
		for i := range out {
			out[i] = strconv.Itoa(i)
		}
		return out
	}
	qt, kt := tokOrIdx(cfg.qTok, s.Tq), tokOrIdx(cfg.kTok, s.Tk)
	row1 := []*matPanel{
		panel("1  Q", s.Tq, s.dk, s.Q, qt, dims(s.dk), false, nil),
		panel("2  K", s.Tk, s.dk, s.K, kt, dims(s.dk), false, nil),
		panel("3  Kᵀ", s.dk, s.Tk, s.Kt, dims(s.dk), kt, false, nil),
		panel("4  S = Q Kᵀ", s.Tq, s.Tk, s.S, qt, kt, false, nil),
		panel(fmt.Sprintf("5  S / √d_k = S × %.3g", s.scale), s.Tq, s.Tk, s.Sc, qt, kt, false, nil),
	}
	var row2 []*matPanel
	if s.blocked != nil {
		ones := make([]float32, len(s.blocked))
		for i := range ones {
			ones[i] = 1
		}
		mp := panel("6  mask (1 = may attend)", s.Tq, s.Tk, ones, qt, kt, true, s.blocked)
		mp.logical, mp.maskText = true, "0"
		row2 = append(row2, mp)
		row2 = append(row2, panel("6  masked: blocked → −∞", s.Tq, s.Tk, s.Sc, qt, kt, false, s.blocked))
	}
	row2 = append(row2,
		panel("7  A = softmax(rows)", s.Tq, s.Tk, s.A, qt, kt, true, s.blocked),
		panel("8  V", s.Tk, s.dv, s.V, kt, dims(s.dv), false, nil),
		panel("9  O = A V", s.Tq, s.dv, s.O, qt, dims(s.dv), false, nil),
	)
	if s.blocked != nil {
		row2[2].maskText = "0"
	}
	maskTerm := ""
	if s.blocked != nil {
		maskTerm = " + mask"
	}
	title, pad, y := c.heading(cfg, fmt.Sprintf("Scaled dot-product attention: O = softmax(Q Kᵀ / √d_k%s) V   (d_k = %d)", maskTerm, s.dk))
	y += c.px(12)
	pageW := c.tw(title, ptTitle, true) + 2*pad
	// under each panel, the range of its colours
	rangeOf := func(m *matPanel, x0 int, below float64) {
		rng := fmt.Sprintf("%s … %s", fmtVal(m.lo, m.decimals), fmtVal(m.hi, m.decimals))
		if m.logical {
			rng = "0 = blocked"
		}
		c.text(float64(x0)+float64(m.dataW())/2, below+c.px(2), rng, ptTick, false, c.th.muted, 0.5, 0)
	}
	for _, row := range [][]*matPanel{row1, row2} {
		x, below := drawRow(c, row, pad, y, c.px(22), rangeOf)
		pageW = math.Max(pageW, x+pad)
		y = below + c.th_(ptTick) + c.px(4) + c.px(14)
	}
	return c.finish(pageW, y+pad)
}

// ---- interactive

// stepsInteractive lets the student pick the query and follow its row
// through every step.
func stepsInteractive(f *Figure, o *iopts) *echarts.Chart {
	s := f.data.(*stepsData)
	var mask []float32 // 1 = may attend
	if s.blocked != nil {
		mask = make([]float32, len(s.blocked))
		for i, b := range s.blocked {
			if !b {
				mask[i] = 1
			}
		}
	}
	o.pin = s.query
	if o.title == "" {
		o.title = "softmax(QKᵀ/√dₖ)·V, one query at a time"
	}
	// Values on the bars as in the PNG's cells (the rule of stepsPage).
	maxDim := max(s.Tq, s.Tk, s.dk, s.dv)
	o.annotate = maxDim <= 8
	if f.cfg.has(optAnnotate | optNoAnnotate) {
		o.annotate = f.cfg.annotate && maxDim <= 24
	}
	return stepsChart(s.Q, s.K, s.V, s.Tq, s.Tk, s.dk, s.dv, mask, o)
}

type stepsSpec struct {
	specBase
	T      int      `json:"T"`
	Tk     int      `json:"Tk"`
	D      int      `json:"d"`
	Dv     int      `json:"dv"`
	Query  int      `json:"query"`
	Colors []string `json:"colors"`
	Annot  bool     `json:"annot,omitempty"` // each bar carries its value
}

// stepColors colour the interactive view's Q, K, V and output.
var stepColors = []string{"#4477AA", "#66CCEE", "#228833", "#CC6677"}

// stepsChart writes the interactive steps of q [T,d], k [Tk,d], v [Tk,dv]
// and mask [T,Tk] (1 = may attend) or nil, opening on query o.pin (0 when
// negative).
func stepsChart(q, k, v []float32, T, Tk, d, dv int, mask []float32, o *iopts) *echarts.Chart {
	arrays := []echarts.Array{echarts.F32("q", q), echarts.F32("k", k), echarts.F32("v", v)}
	if mask != nil {
		arrays = append(arrays, echarts.F32("m", mask))
	}
	return o.chart("steps", 820, 700, stepsSpec{specBase: o.base(), T: T, Tk: Tk, D: d, Dv: dv, Query: max(o.pin, 0), Colors: stepColors, Annot: o.annotate},
		arrays...)
}
