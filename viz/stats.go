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

// The per-head statistics (defined once in internal/attnstat): HeadStats
// (entropy, distance, sink, previous token and diagonal of every head) and
// Induction (how much each head attends to the token after the previous
// occurrence of the current one).

// StatNames names the per-head statistics of HeadStats and
// HeadStatsTensor, in order:
//
//	entropy        mean over queries of −Σⱼ pᵢⱼ ln pᵢⱼ (nats; 0 = one key, ln T = uniform)
//	mean distance  mean over queries of Σⱼ pᵢⱼ |i − j| (tokens)
//	sink mass      mean over queries i ≥ 1 of pᵢ₀ (weight on the first token)
//	previous token mean over queries i ≥ 1 of pᵢ,ᵢ₋₁
//	diagonal       mean over queries of pᵢᵢ (weight on itself)
//
// When there are fewer queries than keys (a prompt continued with a KV
// cache) query i sits at key position i + Tk − Tq. Sink mass and previous
// token leave out the query at position 0: in a causal model it can only
// attend to the first token (and has no previous one), so it says nothing
// about the head. They are model.Record's FirstTokenScore and
// PrevTokenScore (one definition, internal/attnstat).
var StatNames = []string{"entropy", "mean distance", "sink mass", "previous token", "diagonal"}

var statTitles = []string{"entropy (nats)", "mean distance (tokens)", "sink mass (1st token)", "previous token", "diagonal (self)"}

// HeadStatsTensor computes the StatNames statistics of [L, H, T, T]
// attention: a [5, L, H] tensor (statistic, layer, head).
func HeadStatsTensor(att *tensor.Tensor) *tensor.Tensor {
	cfg := newConfig(nil, "HeadStatsTensor", 0)
	st, err := readStack("HeadStatsTensor", att, &cfg)
	if err != nil {
		return tensor.Failed(err)
	}
	for i, v := range st.d {
		if v < 0 {
			return tensor.Failed(tensor.Errorf(tensor.ErrValue, "viz.HeadStatsTensor: the attention holds %v at %v; weights must be ≥ 0", v, unravel(i, st.shape)))
		}
	}
	return tensor.New(headStats(st), 5, st.L, st.H)
}

// headStats returns [5][L][H] flattened.
func headStats(st *stack) []float32 {
	L, H, Tq, Tk := st.L, st.H, st.Tq, st.Tk
	out := make([]float32, 5*L*H)
	off := Tk - Tq
	for l := 0; l < L; l++ {
		for h := 0; h < H; h++ {
			p := st.head(l, h)
			var ent, dist, diag float64
			for i := 0; i < Tq; i++ {
				row := p[i*Tk : (i+1)*Tk]
				pos := i + off
				e, d := 0.0, 0.0
				for j, v := range row {
					if v > 0 {
						f := float64(v)
						e -= f * math.Log(f)
						d += f * math.Abs(float64(pos-j))
					}
				}
				ent += e
				dist += d
				if pos < Tk {
					diag += float64(row[pos])
				}
			}
			n := float64(Tq)
			k := l*H + h
			out[0*L*H+k] = float32(ent / n)
			out[1*L*H+k] = float32(dist / n)
			out[2*L*H+k] = float32(attnstat.Sink(p, Tq, Tk))
			out[3*L*H+k] = float32(attnstat.PrevToken(p, Tq, Tk))
			out[4*L*H+k] = float32(diag / n)
		}
	}
	return out
}

// HeadStats draws per-head statistics of [L, H, T, T] attention (see
// StatNames): one layers×heads heatmap per statistic, and the same numbers
// as bars, one colour per head, grouped by layer. Layers and Heads pick a
// subset.
func HeadStats(att *tensor.Tensor, opts ...Option) *Figure {
	return build(headStatsView, opts, tensors(att))
}

func drawHeadStats(f *Figure, in inputs) (*raster.Page, error) {
	att := in.t[0]
	st, err := readStack("HeadStats", att, &f.cfg)
	if err != nil {
		return nil, err
	}
	if err := checkProbs(f, "HeadStats", "the attention", st.d, st.shape); err != nil {
		return nil, err
	}
	all := headStats(st)
	// keep the chosen layers and heads
	nl, nh := len(st.layers), len(st.heads)
	sel := make([]float32, 5*nl*nh)
	for s := 0; s < 5; s++ {
		for i, l := range st.layers {
			for j, h := range st.heads {
				sel[(s*nl+i)*nh+j] = all[(s*st.L+l)*st.H+h]
			}
		}
	}
	return statsPage(f, st, sel), nil
}

func statsPage(f *Figure, st *stack, sel []float32) *raster.Page {
	cfg := &f.cfg
	nl, nh := len(st.layers), len(st.heads)
	cm := cfg.cmap
	if cm == nil {
		cm = Viridis
	}
	var heads []color.RGBA
	for _, h := range st.heads {
		heads = append(heads, HeadColor(h))
	}
	extra := heads
	if len(extra) > 16 {
		extra = extra[:16]
	}
	c := newCanvas(cfg, []*Colormap{cm}, extra)
	_, pad, y := c.heading(cfg, fmt.Sprintf("Per-head statistics (%s × %s, %s)", plural(nl, "layer"), plural(nh, "head"), plural(st.Tq, "query")))
	y += c.px(10)
	// heatmaps
	n := nl
	if nh > n {
		n = nh
	}
	cell := int(c.px(160)) / n
	if cell > int(c.px(36)) {
		cell = int(c.px(36))
	}
	if cell < 2 {
		cell = 2
	}
	rowL, colL := st.layerHeadLabels()
	x := pad
	maxBottom := y
	ranges := make([][2]float64, 5)
	for s := 0; s < 5; s++ {
		vals := sel[s*nl*nh : (s+1)*nl*nh]
		lo, hi, _ := minMax(vals, nil)
		if s == 2 || s == 3 || s == 4 {
			lo, hi = 0, math.Max(hi, 1e-6)
		} else {
			lo = 0
			if !(hi > 0) {
				hi = 1
			}
		}
		ranges[s] = [2]float64{lo, hi}
		m := &matPanel{rows: nl, cols: nh, vals: vals, lo: lo, hi: hi, cmap: c.maps[0], title: statTitles[s],
			rowLabels: rowL, colLabels: colL, highlight: -1, cell: cell, pool: 1, titleLeft: true,
			annotate: nl*nh <= 36 && c.tw("0.00", ptAnnot, false)+c.px(4) <= float64(cell), decimals: 2}
		if s == 1 || s == 0 {
			m.decimals = 1
		}
		Lp := m.layout(c)
		x0 := int(x + Lp.left)
		y0 := int(y + Lp.top)
		m.draw(c, Lp, x0, y0)
		cbH := m.dataH()
		if cbH < int(c.px(60)) {
			cbH = int(c.px(60))
		}
		cbw := colorbar(c, float64(x0+m.dataW())+c.px(6), float64(y0), cbH, c.maps[0], lo, hi, "", true)
		x = math.Max(float64(x0+m.dataW())+c.px(6)+cbw, x+c.tw(m.title, ptAxis, true)) + c.px(16)
		maxBottom = math.Max(maxBottom, float64(y0)+math.Max(float64(m.dataH())+Lp.bottom, float64(cbH)))
	}
	pageW := x + pad
	// bars: one chart per statistic, bars grouped by layer
	y = maxBottom + c.px(18)
	nb := nl * nh
	barW := math.Max(1, math.Floor((math.Max(pageW, c.px(700))-c.px(90))/float64(nb)*0.8))
	if barW > c.px(40) {
		barW = c.px(40)
	}
	gap := math.Max(1, math.Round(barW/4))
	var groups []barGroup
	for i, l := range st.layers {
		groups = append(groups, barGroup{label: "L" + strconv.Itoa(l), start: i * nh, end: (i + 1) * nh})
	}
	for s := 0; s < 5; s++ {
		vals := make([]float64, nb)
		for i := range vals {
			vals[i] = float64(sel[s*nb+i])
		}
		b := &barChart{vals: vals, colors: heads, lo: 0, hi: ranges[s][1], title: statTitles[s],
			barW: barW, gap: gap, plotH: c.px(70), groups: groups}
		b.hi = niceCeil(b.hi)
		Lb := b.layout(c)
		b.draw(c, Lb, pad+Lb.left, y+Lb.top)
		pageW = math.Max(pageW, pad+Lb.left+b.width()+pad)
		y += Lb.top + b.plotH + Lb.bottom + c.px(12)
	}
	// head colour legend
	lx := pad
	lh := c.th_(ptTick)
	for j, h := range st.heads {
		lab := "H" + strconv.Itoa(h)
		w := c.px(10) + c.px(3) + c.tw(lab, ptTick, false) + c.px(10)
		if lx+w > pageW-pad {
			lx = pad
			y += lh + c.px(4)
		}
		c.pg.FillRect(lx, y+lh/2-c.px(5), c.px(10), c.px(10), heads[j])
		c.text(lx+c.px(13), y+lh/2, lab, ptTick, false, c.th.fg, 0, 0.5)
		lx += w
	}
	y += lh + pad
	return c.finish(pageW, y)
}

// layerHeadLabels names the chosen layers (L0, L1, …) and heads (H0, …),
// the rows and columns of a layers × heads table.
func (s *stack) layerHeadLabels() (layers, heads []string) {
	for _, l := range s.layers {
		layers = append(layers, "L"+strconv.Itoa(l))
	}
	for _, h := range s.heads {
		heads = append(heads, "H"+strconv.Itoa(h))
	}
	return layers, heads
}

// niceCeil rounds v up to a round number for an axis.
func niceCeil(v float64) float64 {
	if !(v > 0) {
		return 1
	}
	t, step := niceTicks(0, v, 4)
	last := t[len(t)-1]
	if last < v-1e-12 {
		last += step
	}
	return last
}

func plural(n int, word string) string {
	if word == "query" {
		word = "query|queries"
	}
	return english.Count(n, word)
}

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
	rowL, colL := st.layerHeadLabels()
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
