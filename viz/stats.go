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
	rowL := make([]string, nl)
	for i, l := range st.layers {
		rowL[i] = "L" + strconv.Itoa(l)
	}
	colL := make([]string, nh)
	for j, h := range st.heads {
		colL[j] = "H" + strconv.Itoa(h)
	}
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
