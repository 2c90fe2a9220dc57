package viz

import (
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/attnviz/attnviz/tensor"
	"github.com/attnviz/attnviz/viz/internal/raster"
)

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
