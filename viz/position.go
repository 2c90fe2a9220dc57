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

// The positional-encoding views: Positional (an encoding matrix as a
// heatmap and a few dimensions as curves) and RoPE (rotary embeddings as
// dials).

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

// RoPE illustrates rotary position embeddings for head dimension d: each
// pair of features (2i, 2i+1) is a 2-D vector that position m rotates by the
// angle m·θᵢ, θᵢ = base^(−2i/d) (Base option, default 10000). One dial per
// chosen pair shows a unit vector at positions 0 … positions−1, coloured
// from first to last: early pairs spin fast, late pairs barely move. Since
// both q and k are rotated, q·k depends only on the distance m − n.
func RoPE(d, positions int, opts ...Option) *Figure {
	return build(ropeView, opts, ints(d, positions))
}

func drawRoPE(f *Figure, in inputs) (*raster.Page, error) {
	d, positions := in.n[0], in.n[1]
	cfg := &f.cfg
	if d < 2 || d%2 != 0 || d > 65536 {
		return nil, tensor.Errorf(tensor.ErrValue, "viz.RoPE: head dimension d = %d; RoPE needs an even d ≥ 2 (pairs of features)", d)
	}
	if positions < 1 || positions > 4096 {
		return nil, tensor.Errorf(tensor.ErrValue, "viz.RoPE: positions = %d; use 1 … 4096", positions)
	}
	base := 10000.0
	if cfg.has(optBase) {
		base = cfg.base
		if !(base > 1) || math.IsInf(base, 0) {
			return nil, tensor.Errorf(tensor.ErrValue, "viz.RoPE: Base(%g); the base must be a finite number > 1 (10000 in most models)", base)
		}
	}
	var pairs []int
	for _, p := range []int{0, 1, d / 8, d / 4, d/2 - 1} {
		if p >= 0 && p < d/2 && !slices.Contains(pairs, p) {
			pairs = append(pairs, p)
		}
	}
	cm := cfg.cmap
	if cm == nil || cm.Diverging() {
		cm = Viridis
	}
	c := newCanvas(cfg, []*Colormap{cm}, nil)
	title, pad, y := c.heading(cfg, fmt.Sprintf("RoPE: position m turns feature pair i by m·θᵢ,  θᵢ = %g^(−2i/%d)", base, d))
	y += c.px(26)
	R := c.px(80)
	x := pad + c.px(10)
	angles := make([]float32, 0, len(pairs)*positions)
	for _, i := range pairs {
		theta := math.Pow(base, -2*float64(i)/float64(d))
		cx, cy := x+R, y+R
		// circle
		var circ [][2]float64
		for a := 0; a <= 64; a++ {
			t := 2 * math.Pi * float64(a) / 64
			circ = append(circ, [2]float64{cx + R*math.Cos(t), cy - R*math.Sin(t)})
		}
		c.pg.DrawPath(&raster.Path{Pts: circ, Stroke: true, Color: c.th.grid, Width: 1})
		c.pg.Line(cx-R, cy, cx+R, cy, 1, c.th.grid)
		c.pg.Line(cx, cy-R, cx, cy+R, 1, c.th.grid)
		for m := 0; m < positions; m++ {
			a := float64(m) * theta
			angles = append(angles, float32(a))
			t := 0.0
			if positions > 1 {
				t = float64(m) / float64(positions-1)
			}
			col := c.pg.Pal.At(c.maps[0].Index(t))
			ex, ey := cx+R*0.92*math.Cos(a), cy-R*0.92*math.Sin(a)
			c.pg.DrawPath(&raster.Path{Pts: [][2]float64{{cx, cy}, {ex, ey}}, Stroke: true, Color: col, Width: math.Max(1.5, 2*c.s)})
			// arrow head
			hx, hy := math.Cos(a), -math.Sin(a)
			s := c.px(6)
			c.pg.DrawPath(&raster.Path{Pts: [][2]float64{{ex, ey}, {ex - s*hx - s*0.5*hy, ey - s*hy + s*0.5*hx}, {ex - s*hx + s*0.5*hy, ey - s*hy - s*0.5*hx}}, Close: true, Fill: true, FillC: col})
		}
		c.text(cx, y-c.px(8), fmt.Sprintf("pair %d (dims %d, %d)", i, 2*i, 2*i+1), ptAxis, true, c.th.fg, 0.5, 1)
		c.text(cx, y+2*R+c.px(6), fmt.Sprintf("θ = %.3g rad/position", theta), ptTick, false, c.th.fg, 0.5, 0)
		c.text(cx, y+2*R+c.px(8)+c.th_(ptTick), fmt.Sprintf("one turn every %s positions", fmtTurn(2*math.Pi/theta)), ptTick, false, c.th.muted, 0.5, 0)
		x += 2*R + c.px(40)
	}
	y += 2*R + c.px(14) + 2*c.th_(ptTick)
	// position scale
	n := c.maps[0].Levels
	idx := make([]uint8, n)
	for i := range idx {
		idx[i] = uint8(c.maps[0].Base + i)
	}
	c.text(pad+c.px(10), y+c.px(5), "position 0", ptTick, false, c.th.fg, 0, 0.5)
	sx := pad + c.px(10) + c.tw("position 0", ptTick, false) + c.px(6)
	c.pg.DrawCells(&raster.Cells{X: int(sx), Y: int(y), W: int(c.px(160)), H: int(c.px(10)), Cols: n, Rows: 1, Idx: idx})
	c.text(sx+c.px(166), y+c.px(5), strconv.Itoa(positions-1), ptTick, false, c.th.fg, 0, 0.5)
	y += c.px(18)
	c.text(pad+c.px(10), y, "q and k are both turned, so q·k after RoPE depends only on the distance m − n between their positions.", ptTick, false, c.th.muted, 0, 0)
	y += c.th_(ptTick)
	pageW := math.Max(x+pad, c.tw(title, ptTitle, true)+2*pad)
	return c.finish(pageW, y+pad), nil
}

func fmtTurn(v float64) string {
	if v < 100 {
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	return strconv.FormatFloat(math.Round(v), 'f', 0, 64)
}
