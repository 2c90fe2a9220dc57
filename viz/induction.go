package viz

import (
	"fmt"
	"image/color"
	"math"
	"strconv"

	"github.com/attnviz/attnviz/internal/attnstat"
	"github.com/attnviz/attnviz/internal/english"
	"github.com/attnviz/attnviz/tensor"
	"github.com/attnviz/attnviz/viz/internal/raster"
)

// inductionTargets gives each position's induction target (see
// attnstat.InductionTargets), tokens compared by their text.
func inductionTargets(toks []string) []int {
	ids := make([]int, len(toks))
	seen := map[string]int{}
	for i, t := range toks {
		id, ok := seen[t]
		if !ok {
			id = len(seen)
			seen[t] = id
		}
		ids[i] = id
	}
	return attnstat.InductionTargets(ids)
}

// inductionScores returns [L*H] scores and the number of queries that have
// a target.
func inductionScores(st *stack, targets []int) ([]float32, int) {
	out := make([]float32, st.L*st.H)
	n := 0
	for l := 0; l < st.L; l++ {
		for h := 0; h < st.H; h++ {
			var s float64
			s, n = attnstat.Induction(st.head(l, h), st.Tq, targets)
			out[l*st.H+h] = float32(s)
		}
	}
	return out, n
}

func inductionInput(view string, att *tensor.Tensor, toks []string, cfg *config) (*stack, []int, error) {
	if toks == nil {
		return nil, nil, tensor.Errorf(tensor.ErrValue, "viz.%s: the tokens are nil; the score needs to know which tokens repeat (pass r.Tokens)", view)
	}
	st, err := readStack(view, att, cfg)
	if err != nil {
		return nil, nil, err
	}
	if st.Tq != st.Tk || st.Tq != len(toks) {
		return nil, nil, tensor.Errorf(tensor.ErrShape, "viz.%s: want self-attention over the %s ([..., %d, %d]), got shape %v", view, english.Count(len(toks), "token"), len(toks), len(toks), st.shape)
	}
	for i, v := range st.d {
		if v < 0 {
			return nil, nil, tensor.Errorf(tensor.ErrValue, "viz.%s: the attention holds %v at %v; weights must be ≥ 0", view, v, unravel(i, st.shape))
		}
	}
	return st, inductionTargets(toks), nil
}

// InductionScores computes every head's induction score from [L, H, T, T]
// attention (or [H, T, T], [T, T]) and the T tokens: the mean weight that
// a query whose token occurred before puts on the token that followed the
// previous occurrence — where a head must look to continue a repeated
// sequence by copying. The result is [L, H]. Near 1: an induction head;
// near the uniform share: none. Text without repeated tokens has no such
// query and gives an error.
//
//	tokens  a  b  c  d  a  b  c
//	query "a" (position 4) → key "b" (position 1), "b" (5) → "c" (2), ...
func InductionScores(att *tensor.Tensor, toks []string) *tensor.Tensor {
	cfg := newConfig([]Option{Tokens(toks)}, "InductionScores", optTokens)
	st, targets, err := inductionInput("InductionScores", att, toks, &cfg)
	if err != nil {
		return tensor.Failed(err)
	}
	s, n := inductionScores(st, targets)
	if n == 0 {
		return tensor.Failed(tensor.Errorf(tensor.ErrValue, "viz.InductionScores: none of the tokens (%d) repeats an earlier one, so no query has an induction target; give text with a repeated part", len(toks)))
	}
	return tensor.New(s, st.L, st.H)
}

// inductionInk outlines the induction targets.
var inductionInk = color.RGBA{230, 70, 40, 255}

// Induction shows where a model's induction heads are. Left: every head's
// induction score (InductionScores), layers × heads. Right: the attention
// of the best-scoring head with each query's induction target outlined —
// the token after the previous occurrence of the query's token. In a
// repeated sequence the targets form a diagonal one step right of the
// "same token" diagonal; an induction head's weight sits on it.
//
// toks are the T tokens of the [L, H, T, T] attention: which of them
// repeat decides the targets; they also label the axes unless Tokens gives
// other labels. Layers and Heads narrow the search (one layer and one
// head: show that head). The figure names the best head, its score and the
// share a uniform head would put on the targets.
//
//	r := m.Run(text + text)
//	viz.Induction(r.Attention, r.Tokens)
func Induction(att *tensor.Tensor, toks []string, opts ...Option) *Figure {
	return build(inductionView, opts, inputs{t: []*tensor.Tensor{att}, s: toks})
}

func drawInduction(f *Figure, in inputs) (*raster.Page, error) {
	att, toks := in.t[0], in.s
	if !f.cfg.has(optTokens) {
		f.cfg.qTok, f.cfg.kTok = toks, toks
	}
	{
		cfg := &f.cfg
		st, targets, err := inductionInput("Induction", att, toks, cfg)
		if err != nil {
			return nil, err
		}
		all, n := inductionScores(st, targets)
		if n == 0 {
			return nil, tensor.Errorf(tensor.ErrValue, "viz.Induction: none of the tokens (%d) repeats an earlier one, so no query has an induction target; give text with a repeated part (e.g. a sentence written twice)", st.Tq)
		}
		nl, nh := len(st.layers), len(st.heads)
		sel := make([]float32, nl*nh)
		bl, bh, best := st.layers[0], st.heads[0], float32(-1)
		for i, l := range st.layers {
			for j, h := range st.heads {
				v := all[l*st.H+h]
				sel[i*nh+j] = v
				if v > best {
					bl, bh, best = l, h, v
				}
			}
		}
		// the uniform share on the target: 1/(number of keys a query sees),
		// averaged over the queries that have a target (causal: i+1 keys)
		uniform := 0.0
		causal := isCausal(st)
		for i, j := range targets {
			if j >= 0 {
				if causal {
					uniform += 1 / float64(i+1)
				} else {
					uniform += 1 / float64(st.Tk)
				}
			}
		}
		uniform /= float64(n)
		return inductionPage(f, st, sel, targets, bl, bh, best, uniform, n), nil
	}
}

// isCausal reports whether no query puts weight on a later key.
func isCausal(st *stack) bool {
	for lh := 0; lh < st.L*st.H; lh++ {
		p := st.d[lh*st.Tq*st.Tk : (lh+1)*st.Tq*st.Tk]
		for i := 0; i < st.Tq; i++ {
			for _, v := range p[i*st.Tk+i+1 : (i+1)*st.Tk] {
				if v != 0 {
					return false
				}
			}
		}
	}
	return true
}

func inductionPage(f *Figure, st *stack, sel []float32, targets []int, bl, bh int, best float32, uniform float64, n int) *raster.Page {
	cfg := &f.cfg
	cm := cfg.cmap
	if cm == nil {
		cm = Viridis
	}
	c := newCanvas(cfg, []*Colormap{cm}, []color.RGBA{inductionInk})
	pad := c.px(10)
	nl, nh := len(st.layers), len(st.heads)
	title := "Induction heads"
	if cfg.has(optTitle) {
		title = cfg.title
	}
	c.text(pad, pad, title, ptTitle, true, c.th.fg, 0, 0)
	y := pad + c.th_(ptTitle) + c.px(4)
	note := fmt.Sprintf("best: layer %d head %d, score %.2f (uniform attention would give %.2f; %d of %s %s an earlier token)", bl, bh, best, uniform, n, english.Count(st.Tq, "query|queries"), english.Verb(n != 1, "repeats"))
	c.text(pad, y, note, ptAxis, false, c.th.fg, 0, 0)
	y += c.th_(ptAxis) + c.px(14)

	// left: the scores, layers × heads
	cell := int(c.px(36))
	if m := max(nl, nh); cell*m > int(c.px(300)) {
		cell = max(int(c.px(300))/m, 4)
	}
	rowL := make([]string, nl)
	for i, l := range st.layers {
		rowL[i] = "L" + strconv.Itoa(l)
	}
	colL := make([]string, nh)
	for j, h := range st.heads {
		colL[j] = "H" + strconv.Itoa(h)
	}
	sp := &matPanel{rows: nl, cols: nh, vals: sel, lo: 0, hi: 1, cmap: c.maps[0], title: "induction score",
		rowLabels: rowL, colLabels: colL, highlight: -1, cell: cell, pool: 1, titleLeft: true,
		annotate: c.tw("0.00", ptAnnot, false)+c.px(4) <= float64(cell), decimals: 2}
	Ls := sp.layout(c)
	x0, y0 := int(pad+Ls.left), int(y+Ls.top)
	sp.draw(c, Ls, x0, y0)
	// mark the best head
	for i, l := range st.layers {
		for j, h := range st.heads {
			if l == bl && h == bh {
				c.pg.StrokeRect(float64(x0+j*cell), float64(y0+i*cell), float64(cell), float64(cell), c.px(2), inductionInk)
			}
		}
	}
	cbH := max(sp.dataH(), int(c.px(60)))
	cbw := colorbar(c, float64(x0+sp.dataW())+c.px(6), float64(y0), cbH, c.maps[0], 0, 1, "", true)
	right := float64(x0+sp.dataW()) + c.px(6) + cbw + c.px(28)
	bottom := float64(y0) + math.Max(float64(sp.dataH())+Ls.bottom, float64(cbH))

	// right: the best head's attention with the targets outlined
	T := st.Tq
	hc, pool := int(c.px(480))/T, 1
	switch {
	case hc > int(c.px(28)):
		hc = int(c.px(28))
	case hc < 1:
		hc, pool = 1, (T+int(c.px(480))-1)/int(c.px(480))
	}
	hp := &matPanel{rows: T, cols: T, vals: st.head(bl, bh), lo: 0, hi: 1, cmap: c.maps[0],
		title:     fmt.Sprintf("layer %d head %d: queries (rows) × keys; outlined: induction targets", bl, bh),
		rowLabels: cfg.qTok, colLabels: cfg.kTok, highlight: -1, cell: hc, pool: pool, titleLeft: true}
	if lo, hi, ok := minMax(hp.vals, nil); ok && hi > lo {
		hp.hi = hi
	}
	Lh := hp.layout(c)
	hx, hy := int(right+Lh.left), int(y+Lh.top)
	hp.draw(c, Lh, hx, hy)
	if pool == 1 {
		w := math.Max(1, c.px(1.5))
		for i, j := range targets {
			if j >= 0 {
				c.pg.StrokeRect(float64(hx+j*hc), float64(hy+i*hc), float64(hc), float64(hc), w, inductionInk)
			}
		}
	}
	hcb := colorbar(c, float64(hx+hp.dataW())+c.px(6), float64(hy), max(hp.dataH(), int(c.px(60))), c.maps[0], 0, hp.hi, "", true)
	pageW := float64(hx+hp.dataW()) + c.px(6) + hcb + pad
	pageW = math.Max(pageW, pad+c.tw(note, ptAxis, false)+pad)
	bottom = math.Max(bottom, float64(hy)+float64(hp.dataH())+Lh.bottom)
	return c.finish(pageW, bottom+pad)
}
