package viz

import (
	"fmt"
	"math"
	"strconv"

	"github.com/attnviz/attnviz/tensor"
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
	return build("steps", opts, func(f *Figure) (*raster.Page, error) {
		cfg := &f.cfg
		qd, qs, err := read("Steps", "Q", q)
		if err != nil {
			return nil, err
		}
		kd, ks, err := read("Steps", "K", k)
		if err != nil {
			return nil, err
		}
		vd, vs, err := read("Steps", "V", v)
		if err != nil {
			return nil, err
		}
		qs, ks, vs = squeezeLead(qs, 2), squeezeLead(ks, 2), squeezeLead(vs, 2)
		for _, x := range []struct {
			n string
			s []int
		}{{"Q", qs}, {"K", ks}, {"V", vs}} {
			if len(x.s) != 2 {
				return nil, shapeErr("Steps", x.n+" as a 2-D [tokens × features] matrix", x.s, "pick one head, e.g. q.Index(h) for [H, T, d]")
			}
		}
		Tq, dk, Tk, dv := qs[0], qs[1], ks[0], vs[1]
		if ks[1] != dk {
			return nil, shapeErr("Steps", fmt.Sprintf("K with %d features like Q [%d %d]", dk, Tq, dk), ks, "Q and K must have the same last dimension dₖ")
		}
		if vs[0] != Tk {
			return nil, shapeErr("Steps", fmt.Sprintf("V with %d rows, one per key (K is %v)", Tk, ks), vs, "")
		}
		for _, x := range []struct {
			n string
			d []float32
			s []int
		}{{"Q", qd, qs}, {"K", kd, ks}, {"V", vd, vs}} {
			if err := checkValues("Steps", x.n, x.d, x.s, false); err != nil {
				return nil, err
			}
		}
		if err := tokenCountErr("Steps", cfg, Tq, Tk); err != nil {
			return nil, err
		}
		blocked, err := readMask("Steps", cfg, Tq, Tk)
		if err != nil {
			return nil, err
		}
		// the computation, on the host
		scale := 1 / math.Sqrt(float64(dk))
		S := make([]float32, Tq*Tk)
		Sc := make([]float32, Tq*Tk)
		for i := 0; i < Tq; i++ {
			for j := 0; j < Tk; j++ {
				s := 0.0
				for c := 0; c < dk; c++ {
					s += float64(qd[i*dk+c]) * float64(kd[j*dk+c])
				}
				S[i*Tk+j] = float32(s)
				Sc[i*Tk+j] = float32(s * scale)
			}
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
		for i := 0; i < Tq; i++ {
			for c := 0; c < dv; c++ {
				s := 0.0
				for j := 0; j < Tk; j++ {
					s += float64(A[i*Tk+j]) * float64(vd[j*dv+c])
				}
				O[i*dv+c] = float32(s)
			}
		}
		Kt := make([]float32, dk*Tk)
		for j := 0; j < Tk; j++ {
			for c := 0; c < dk; c++ {
				Kt[c*Tk+j] = kd[j*dk+c]
			}
		}
		f.addMatrix("q", qd, Tq, dk)
		f.addMatrix("k", kd, Tk, dk)
		f.addMatrix("v", vd, Tk, dv)
		f.addMatrix("scores", S, Tq, Tk)
		f.addMatrix("scaled", Sc, Tq, Tk)
		f.addMatrix("weights", A, Tq, Tk)
		f.addMatrix("output", O, Tq, dv)
		if blocked != nil {
			mk := make([]float32, Tq*Tk)
			for i, b := range blocked {
				if !b {
					mk[i] = 1
				}
			}
			f.addMatrix("mask", mk, Tq, Tk)
		}
		return stepsPage(f, stepsData{Tq, Tk, dk, dv, qd, kd, Kt, vd, S, Sc, A, O, blocked, scale}), nil
	})
}

type stepsData struct {
	Tq, Tk, dk, dv           int
	Q, K, Kt, V, S, Sc, A, O []float32
	blocked                  []bool
	scale                    float64
}

func stepsPage(f *Figure, s stepsData) *raster.Page {
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
	if cfg.annotateSet {
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
	pad := c.px(10)
	title := fmt.Sprintf("Scaled dot-product attention: O = softmax(Q Kᵀ / √d_k%s) V   (d_k = %d)", map[bool]string{true: " + mask", false: ""}[s.blocked != nil], s.dk)
	if cfg.titleSet {
		title = cfg.title
	}
	c.text(pad, pad, title, ptTitle, true, c.th.fg, 0, 0)
	y := pad + c.th_(ptTitle) + c.px(12)
	pageW := c.tw(title, ptTitle, true) + 2*pad
	for _, row := range [][]*matPanel{row1, row2} {
		Ls := make([]panelLayout, len(row))
		top, bottom, h := 0.0, 0.0, 0
		for i, m := range row {
			Ls[i] = m.layout(c)
			top = math.Max(top, Ls[i].top)
			bottom = math.Max(bottom, Ls[i].bottom)
			if m.dataH() > h {
				h = m.dataH()
			}
		}
		x := pad
		rangeH := c.th_(ptTick) + c.px(4)
		for i, m := range row {
			x0 := int(x + Ls[i].left)
			y0 := int(y + top)
			m.draw(c, Ls[i], x0, y0)
			rng := fmt.Sprintf("%s … %s", fmtVal(m.lo, m.decimals), fmtVal(m.hi, m.decimals))
			if m.logical {
				rng = "0 = blocked"
			}
			c.text(float64(x0)+float64(m.dataW())/2, y+top+float64(h)+bottom+c.px(2), rng, ptTick, false, c.th.muted, 0.5, 0)
			w := math.Max(float64(m.dataW())+math.Max(0, Ls[i].right), c.tw(m.title, ptAxis, true)-Ls[i].left)
			x = float64(x0) + w + c.px(22)
		}
		pageW = math.Max(pageW, x+pad)
		y += top + float64(h) + bottom + rangeH + c.px(14)
	}
	return c.finish(pageW, y+pad)
}
