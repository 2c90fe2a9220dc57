package viz

import (
	"fmt"
	"image/color"
	"math"
	"slices"
	"strconv"

	"github.com/attnviz/attnviz/tensor"
	"github.com/attnviz/attnviz/viz/internal/raster"
)

// Positional draws a positional-encoding matrix pe [positions, dims] (for
// example tensor.Sinusoidal(n, d)) as a heatmap, positions down and
// dimensions across, and a few dimensions as curves over the positions:
// low dimensions oscillate fast, high ones slowly.
func Positional(pe *tensor.Tensor, opts ...Option) *Figure {
	return build(positionalView, opts, tensors(pe))
}

func drawPositional(f *Figure, in inputs) (*raster.Page, error) {
	pe := in.t[0]
	cfg := &f.cfg
	d, shape, err := read("Positional", "the encodings", pe)
	if err != nil {
		return nil, err
	}
	shape = squeezeLead(shape, 2)
	if len(shape) != 2 {
		return nil, shapeErr("Positional", "a 2-D [positions × dims] matrix such as tensor.Sinusoidal(n, d)", shape, "")
	}
	n, dm := shape[0], shape[1]
	if err := checkValues("Positional", "the encodings", d, shape, false); err != nil {
		return nil, err
	}
	// which dimensions to plot
	var dims []int
	for _, k := range []int{0, 1, dm / 8 * 2, dm / 4 * 2, dm - 2} {
		if k >= 0 && k < dm && !slices.Contains(dims, k) {
			dims = append(dims, k)
		}
	}
	var cols []color.RGBA
	for i := range dims {
		cols = append(cols, HeadColor(i))
	}
	cm := cfg.cmap
	if cm == nil {
		cm = Diverging
	}
	c := newCanvas(cfg, []*Colormap{cm}, cols)
	lo, hi := -1.0, 1.0
	if l, h, ok := minMax(d, nil); ok {
		m := math.Max(math.Abs(l), math.Abs(h))
		if m > 0 {
			lo, hi = -m, m
		}
	}
	if !cm.Diverging() {
		lo, hi, _ = minMax(d, nil)
		if !(hi > lo) {
			hi = lo + 1
		}
	}
	m := &matPanel{rows: n, cols: dm, vals: d, lo: lo, hi: hi, cmap: c.maps[0], rowTitle: "position", colTitle: "dimension",
		highlight: -1, decimals: 2, title: "encoding value", titleLeft: true}
	longer := n
	if dm > longer {
		longer = dm
	}
	m.cell, m.pool = chooseCell(c, longer, c.px(380), 0)
	_, pad, top := c.heading(cfg, fmt.Sprintf("Positional encodings (%d positions × %d dims)", n, dm))
	top += c.px(12)
	L := m.layout(c)
	x0, y0 := int(pad+L.left), int(top+L.top)
	m.draw(c, L, x0, y0)
	W, H := float64(m.dataW()), float64(m.dataH())
	cbH := int(math.Max(H, c.px(120)))
	cbw := colorbar(c, float64(x0)+W+c.px(12), float64(y0), cbH, c.maps[0], lo, hi, "", true)
	// curves
	cx := float64(x0) + W + c.px(12) + cbw + c.px(50)
	cw, ch := c.px(420), math.Max(c.px(220), H*0.8)
	series := make([][]float64, len(dims))
	names := make([]string, len(dims))
	for i, k := range dims {
		s := make([]float64, n)
		for p := 0; p < n; p++ {
			s[p] = float64(d[p*dm+k])
		}
		series[i] = s
		names[i] = "dim " + strconv.Itoa(k)
	}
	lineChart(c, cx, float64(y0), cw, ch, series, cols, names, lo, hi, "position", "value", "selected dimensions over the positions")
	pageW := cx + cw + pad + c.px(90)
	pageH := math.Max(float64(y0)+math.Max(H, float64(cbH))+L.bottom, float64(y0)+ch+c.px(50)) + pad
	return c.finish(pageW, pageH), nil
}

// lineChart draws series over x = 0 … n−1 with a legend on the right.
func lineChart(c *canvas, x0, y0, w, h float64, series [][]float64, cols []color.RGBA, names []string, lo, hi float64, xLabel, yLabel, title string) {
	th := c.th
	if title != "" {
		c.text(x0, y0-c.px(5), title, ptAxis, true, th.fg, 0, 1)
	}
	n := 0
	for _, s := range series {
		if len(s) > n {
			n = len(s)
		}
	}
	if n < 2 {
		n = 2
	}
	yt, ys := niceTicks(lo, hi, 4)
	yOf := func(v float64) float64 { return y0 + h - (v-lo)/(hi-lo)*h }
	xOf := func(i float64) float64 { return x0 + i/float64(n-1)*w }
	for _, t := range yt {
		y := math.Round(yOf(t))
		c.pg.Line(x0, y, x0+w, y, 1, th.grid)
		c.text(x0-c.px(6), y, fmtTick(t, ys), ptTick, false, th.fg, 1, 0.5)
	}
	xt, xs := niceTicks(0, float64(n-1), 5)
	for _, t := range xt {
		x := math.Round(xOf(t))
		c.pg.Line(x, y0+h, x, y0+h+c.px(4), 1, th.muted)
		c.text(x, y0+h+c.px(6), fmtTick(t, xs), ptTick, false, th.fg, 0.5, 0)
	}
	c.pg.StrokeRect(x0, y0, w, h, 1, th.muted)
	for i, s := range series {
		pts := make([][2]float64, len(s))
		for p, v := range s {
			pts[p] = [2]float64{xOf(float64(p)), yOf(math.Max(lo, math.Min(hi, v)))}
		}
		c.pg.DrawPath(&raster.Path{Pts: pts, Stroke: true, Color: cols[i%len(cols)], Width: math.Max(1.5, c.s*1.8)})
	}
	c.text(x0+w/2, y0+h+c.px(8)+c.th_(ptTick), xLabel, ptAxis, false, th.fg, 0.5, 0)
	if yLabel != "" {
		c.textRot(x0-c.px(40), y0+h/2, yLabel, ptAxis, th.fg, 0.5, 0.5)
	}
	ly := y0
	for i, nm := range names {
		c.pg.FillRect(x0+w+c.px(10), ly+c.px(4), c.px(14), c.px(3), cols[i%len(cols)])
		c.text(x0+w+c.px(28), ly+c.px(5), nm, ptTick, false, th.fg, 0, 0.5)
		ly += c.th_(ptTick) + c.px(4)
	}
}
