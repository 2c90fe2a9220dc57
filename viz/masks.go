package viz

import (
	"fmt"
	"image/color"
	"math"
	"slices"
	"strconv"

	"github.com/attnviz/attnviz/internal/english"
	"github.com/attnviz/attnviz/tensor"
	"github.com/attnviz/attnviz/viz/internal/raster"
)

// The mask views: MaskPatterns (the causal and padding masks and the two
// combined) and MaskEffect (scores, the mask and the softmax weights, before
// and after).

// MaskPatterns draws the attention masks of n tokens, 1 = may attend, 0 = blocked
// (grey, hatched): the causal mask (query i sees keys j ≤ i), the padding
// mask for a sequence whose first valid tokens are real (keys ≥ valid are
// padding) and the two combined, as a decoder with padding uses them.
// valid = n means no padding.
func MaskPatterns(n, valid int, opts ...Option) *Figure {
	return build(maskPatternsView, opts, ints(n, valid))
}

func drawMaskPatterns(f *Figure, in inputs) (*raster.Page, error) {
	n, valid := in.n[0], in.n[1]
	cfg := &f.cfg
	if n < 1 || n > 4096 {
		return nil, tensor.Errorf(tensor.ErrValue, "viz.MaskPatterns: n = %s; use 1 … 4096", english.Count(n, "token"))
	}
	if valid < 0 || valid > n {
		return nil, tensor.Errorf(tensor.ErrValue, "viz.MaskPatterns: valid = %s out of n = %d; use 0 … n (n = no padding)", english.Count(valid, "real token"), n)
	}
	if err := tokenCountErr("MaskPatterns", cfg, n, n); err != nil {
		return nil, err
	}
	causal := make([]float32, n*n)
	pad := make([]float32, n*n)
	both := make([]float32, n*n)
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			if j <= i {
				causal[i*n+j] = 1
			}
			if j < valid {
				pad[i*n+j] = 1
			}
			both[i*n+j] = causal[i*n+j] * pad[i*n+j]
		}
	}
	cm := cfg.cmap
	if cm == nil || cm.Diverging() {
		cm = Viridis
	}
	c := newCanvas(cfg, []*Colormap{cm}, nil)
	cell := int(c.px(240)) / n
	if cell > int(c.px(36)) {
		cell = int(c.px(36))
	}
	pool := 1
	if cell < 1 {
		cell, pool = 1, int(math.Ceil(float64(n)/c.px(240)))
	}
	labels := cfg.qTok
	mk := func(title string, v []float32) *matPanel {
		bl := make([]bool, len(v))
		for i, x := range v {
			bl[i] = x == 0
		}
		return &matPanel{rows: n, cols: n, vals: v, masked: bl, lo: 0, hi: 1, cmap: c.maps[0], logical: true,
			maskText: "0", title: title, rowLabels: labels, colLabels: labels, rowTitle: "query", colTitle: "key",
			highlight: -1, cell: cell, pool: pool, annotate: n <= 8, titleLeft: true}
	}
	panels := []*matPanel{
		mk("causal: key j ≤ query i", causal),
		mk(fmt.Sprintf("padding: first %s real", english.Count(valid, "token")), pad),
		mk("causal AND padding", both),
	}
	return panelRow(c, cfg, "Attention masks (1 = may attend, hatched = blocked → −∞ before softmax)", panels), nil
}

// panelRow lays panels out in one row under a title.
func panelRow(c *canvas, cfg *config, title string, panels []*matPanel) *raster.Page {
	title, pad, y := c.heading(cfg, title)
	x, below := drawRow(c, panels, pad, y+c.px(12), c.px(24), nil)
	pageW := math.Max(x+pad, c.tw(title, ptTitle, true)+2*pad)
	return c.finish(pageW, below+pad)
}

// MaskEffect shows what a mask does to one query's row: its raw scores, the
// scores after masking (blocked keys → −∞) and the softmax weights with and
// without the mask. scores is [T, T] (Query picks the row, default the
// last) and mask is [T, T] or [T] (1 = may attend, 0 = blocked).
func MaskEffect(scores, mask *tensor.Tensor, opts ...Option) *Figure {
	return build(maskEffectView, opts, tensors(scores, mask))
}

func drawMaskEffect(f *Figure, in inputs) (*raster.Page, error) {
	scores, mask := in.t[0], in.t[1]
	cfg := &f.cfg
	d, rows, cols, err := read2D("MaskEffect", "the scores", "scores of shape [queries × keys]", scores)
	if err != nil {
		return nil, err
	}
	if err := checkValues("MaskEffect", "the scores", d, []int{rows, cols}, false); err != nil {
		return nil, err
	}
	if mask == nil {
		return nil, tensor.Errorf(tensor.ErrValue, "viz.MaskEffect: the mask is nil; pass one, e.g. tensor.CausalMask(%d)", rows)
	}
	blocked, err := readMask("MaskEffect", mask, rows, cols)
	if err != nil {
		return nil, err
	}
	q, err := checkQuery("MaskEffect", cfg, rows, rows-1, "query|queries")
	if err != nil {
		return nil, err
	}
	if err := tokenCountErr("MaskEffect", cfg, rows, cols); err != nil {
		return nil, err
	}
	row := d[q*cols : (q+1)*cols]
	bl := blocked[q*cols : (q+1)*cols]
	raw := make([]float64, cols)
	for j, v := range row {
		raw[j] = float64(v)
	}
	soft := func(useMask bool) []float64 {
		out := make([]float64, cols)
		mx := math.Inf(-1)
		for j, v := range raw {
			if !useMask || !bl[j] {
				mx = math.Max(mx, v)
			}
		}
		if math.IsInf(mx, -1) {
			return out
		}
		s := 0.0
		for j, v := range raw {
			if !useMask || !bl[j] {
				out[j] = math.Exp(v - mx)
				s += out[j]
			}
		}
		for j := range out {
			out[j] /= s
		}
		return out
	}
	plain, masked := soft(false), soft(true)
	blue, green := HeadColors[0], HeadColors[2]
	c := newCanvas(cfg, nil, []color.RGBA{blue, green})
	labels := keyLabels(cfg, cols, 14)
	lo, hi := 0.0, 0.0
	for _, v := range raw {
		lo, hi = math.Min(lo, v), math.Max(hi, v)
	}
	ticks, step := niceTicks(lo, hi, 4)
	lo, hi = math.Min(lo, ticks[0]), math.Max(hi, ticks[len(ticks)-1])
	if hi-ticks[len(ticks)-1] > 1e-9 {
		hi = ticks[len(ticks)-1] + step
	}
	if lo < ticks[0]-1e-9 {
		lo = ticks[0] - step
	}
	bw := math.Max(c.px(6), math.Min(c.px(60), math.Floor(c.px(560)/float64(cols))))
	zero := 0.0
	qn := strconv.Itoa(q)
	if cfg.has(optTokens) {
		qn = fmt.Sprintf("%d %q", q, tokLabel(cfg.qTok[q], 16))
	}
	charts := []*barChart{
		{vals: raw, lo: lo, hi: hi, labels: labels, title: "1  raw scores  q·k / √d_k", hline: &zero},
		{vals: raw, masked: bl, lo: lo, hi: hi, labels: labels, title: "2  after the mask: blocked keys → −∞", hline: &zero},
		{vals: plain, lo: 0, hi: niceCeil(max(slices.Max(plain), slices.Max(masked))), labels: labels, title: "3  softmax without the mask"},
		{vals: masked, masked: bl, lo: 0, hi: niceCeil(max(slices.Max(plain), slices.Max(masked))), labels: labels, maskText: "0", title: "4  softmax with the mask: blocked keys get 0, the rest share 1"},
	}
	title, pad, y := c.heading(cfg, "What a mask does to query "+qn)
	y += c.px(12)
	pageW := c.tw(title, ptTitle, true) + 2*pad
	for i, b := range charts {
		b.barW, b.gap, b.plotH = bw*0.75, bw*0.25, c.px(90)
		b.colors = []color.RGBA{blue}
		if i >= 2 {
			b.colors = []color.RGBA{green}
		}
		L := b.layout(c)
		b.draw(c, L, pad+L.left+c.px(10), y+L.top)
		pageW = math.Max(pageW, pad+L.left+c.px(10)+b.width()+pad)
		y += L.top + b.plotH + L.bottom + c.px(12)
	}
	return c.finish(pageW, y+pad), nil
}
