package viz

import (
	"fmt"
	"math"

	"github.com/attnviz/attnviz/internal/english"
	"github.com/attnviz/attnviz/tensor"
	"github.com/attnviz/attnviz/viz/internal/raster"
)

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
