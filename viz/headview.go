package viz

import (
	"fmt"
	"image/color"
	"math"
	"strconv"

	"github.com/attnviz/attnviz/tensor"
	"github.com/attnviz/attnviz/viz/internal/echarts"
	"github.com/attnviz/attnviz/viz/internal/raster"
)

// HeadView draws attention as BertViz's head view does: the tokens in two
// columns (queries left, keys right) and a line from each query to each key
// whose opacity is the weight, one colour per head (HeadColors). att is
// [L, H, T, T] ([H, T, T] is one layer). Interactive: a layer selector,
// head toggles (double-click shows one head alone), hover a token to see
// only its lines, click to pin it, click again to release. Layers picks the
// layer shown first, Heads the heads switched on.
//
// The PNG (and SVG/PDF) is the head view on paper: the layers that Layers
// picks (default: the first) side by side, each with its two token
// columns and a line from each query to each key, its opacity the weight,
// one colour per head (the heads Heads picks, default all), and a legend
// of the heads' colours.
func HeadView(att *tensor.Tensor, opts ...Option) *Figure {
	return build(headViewView, opts, tensors(att))
}

// drawHeadView reads the stack and draws the static head view.
func drawHeadView(f *Figure, in inputs) (*raster.Page, error) {
	const view = "HeadView"
	cfg := &f.cfg
	st, err := readStack(view, in.t[0], cfg)
	if err != nil {
		return nil, err
	}
	if err := checkProbs(f, view, "the attention", st.d, st.shape); err != nil {
		return nil, err
	}
	f.data = st
	layers := st.layers
	if !cfg.has(optLayers) {
		layers = layers[:1]
	}
	return headViewPage(f, st, layers), nil
}

// maxHeadViewLines is the most lines a static head view draws: beyond it
// the weakest are left out (and the figure says from which weight).
const maxHeadViewLines = 40000

// headViewPage lays out the static head view of the given layers.
func headViewPage(f *Figure, st *stack, layers []int) *raster.Page {
	cfg := &f.cfg
	cols := make([]color.RGBA, len(st.heads))
	for i, h := range st.heads {
		cols[i] = HeadColor(h)
	}
	c := newCanvas(cfg, nil, cols)
	for _, col := range cols {
		c.pg.Pal.AddBlends(c.th.bg, col, 8)
	}
	pad := c.px(10)
	lh := c.th_(ptAxis)
	rh := math.Max(lh+c.px(4), c.px(18)) // one token row
	qLab, kLab := strconv.Itoa, strconv.Itoa
	if cfg.has(optTokens) {
		qLab = func(i int) string { return tokLabel(cfg.qTok[i], 16) }
	}
	if cfg.has(optTokens | optKeyTokens) {
		kLab = func(i int) string { return tokLabel(cfg.kTok[i], 16) }
	}
	qW, kW := 0.0, 0.0
	for i := 0; i < st.Tq; i++ {
		qW = math.Max(qW, c.tw(qLab(i), ptAxis, false))
	}
	for j := 0; j < st.Tk; j++ {
		kW = math.Max(kW, c.tw(kLab(j), ptAxis, false))
	}
	span := c.px(220) // between the token columns
	gap := c.px(6)    // between a token and its lines
	panelW := qW + gap + span + gap + kW
	between := c.px(36)
	n := max(st.Tq, st.Tk)
	// the weakest lines are left out when there are too many
	minW := float32(0.01)
	var hist [101]int
	total := 0
	for _, l := range layers {
		for _, h := range st.heads {
			for _, v := range st.head(l, h) {
				if v >= minW {
					hist[min(int(v*100), 100)]++
					total++
				}
			}
		}
	}
	if total > maxHeadViewLines {
		acc := 0
		for b := 100; b > 0; b-- {
			acc += hist[b]
			if acc > maxHeadViewLines {
				minW = float32(b+1) / 100
				break
			}
		}
	}
	title := "Head view"
	if len(layers) == 1 && st.layerAxis {
		title += fmt.Sprintf(" — layer %d", layers[0])
		if st.L > 1 && !cfg.has(optLayers) {
			title += fmt.Sprintf(" of %d (others: viz.Layers)", st.L)
		}
	}
	title = cfg.titleOr(title + st.batchNote())
	y := pad
	c.text(pad, y, title, ptTitle, true, c.th.fg, 0, 0)
	y += c.th_(ptTitle) + c.px(8)
	// legend: a swatch and the name of each head
	x := pad
	sw := c.px(12)
	legendW := 0.0
	for i, h := range st.heads {
		name := "head " + strconv.Itoa(h)
		c.pg.FillRect(x, y+(lh-sw)/2, sw, sw, cols[i])
		c.text(x+sw+c.px(4), y, name, ptAxis, false, c.th.fg, 0, 0)
		x += sw + c.px(4) + c.tw(name, ptAxis, false) + c.px(12)
		legendW = x - pad
	}
	y += lh + c.px(10)
	note := "line opacity = attention weight; queries left, keys right"
	if minW > 0.01 {
		note += fmt.Sprintf("; lines under %.2f left out", minW)
	}
	c.text(pad, y, note, ptTick, false, c.th.muted, 0, 0)
	y += c.th_(ptTick) + c.px(8)
	top := y
	if len(layers) > 1 || st.layerAxis {
		top += lh + c.px(6) // the panels' names
	}
	width := c.px(2)
	for p, l := range layers {
		x0 := pad + float64(p)*(panelW+between)
		if len(layers) > 1 {
			c.text(x0+panelW/2, y, fmt.Sprintf("layer %d", l), ptAxis, true, c.th.fg, 0.5, 0)
		}
		xl := x0 + qW + gap
		xr := xl + span
		for i := 0; i < st.Tq; i++ {
			c.text(xl-gap, top+(float64(i)+0.5)*rh, qLab(i), ptAxis, false, c.th.fg, 1, 0.5)
		}
		for j := 0; j < st.Tk; j++ {
			c.text(xr+gap, top+(float64(j)+0.5)*rh, kLab(j), ptAxis, false, c.th.fg, 0, 0.5)
		}
		for k, h := range st.heads {
			w := st.head(l, h)
			col := cols[k]
			for i := 0; i < st.Tq; i++ {
				for j := 0; j < st.Tk; j++ {
					v := w[i*st.Tk+j]
					if v < minW {
						continue
					}
					a := math.Min(1, float64(v))
					c.pg.DrawPath(&raster.Path{Pts: [][2]float64{{xl, top + (float64(i)+0.5)*rh}, {xr, top + (float64(j)+0.5)*rh}},
						Stroke: true, Width: width, Color: withAlpha(col, a)})
				}
			}
		}
	}
	pageW := pad + float64(len(layers))*(panelW+between) - between + pad
	pageW = math.Max(pageW, math.Max(c.tw(title, ptTitle, true), legendW)+2*pad)
	pageH := top + float64(n)*rh + pad
	if cfg.sizeSet {
		pageW, pageH = math.Max(pageW, float64(cfg.w)), math.Max(pageH, float64(cfg.h))
	}
	return c.finish(pageW, pageH)
}

// withAlpha is col at opacity a, as the premultiplied colour.RGBA wants.
func withAlpha(col color.RGBA, a float64) color.RGBA {
	return color.RGBAModel.Convert(color.NRGBA{col.R, col.G, col.B, uint8(math.Round(a * 255))}).(color.RGBA)
}

// headViewInteractive is HeadView's interactive form.
func headViewInteractive(f *Figure, o *iopts) *echarts.Chart {
	st := f.data.(*stack)
	o.layer, o.heads = st.layers[0], f.cfg.heads
	return headViewChart(st.d, st.L, st.H, st.Tq, st.Tk, o)
}

type headSpec struct {
	stackSpec
	Heads      []int    `json:"heads"`
	Colors     []string `json:"colors"`
	LayerNames []string `json:"layerNames,omitempty"`
}

// headViewChart writes the head view of att, [L, H, T, Tk] weights in
// [0, 1], one colour per head (HeadColors).
func headViewChart(att []float32, L, H, T, Tk int, o *iopts) *echarts.Chart {
	cols := make([]string, len(HeadColors))
	for i, c := range HeadColors {
		cols[i] = fmt.Sprintf("#%02x%02x%02x", c.R, c.G, c.B)
	}
	// Weights are opacities: u8 over [0,1] is exact to 1/254, plenty for alpha.
	var arr echarts.Array
	if len(att) <= echarts.U8Threshold {
		arr = echarts.F32("w", att)
	} else {
		arr = echarts.U8("w", att, 0, 1)
	}
	return o.chart("headview", 720, 560, headSpec{stackSpec: o.stack(L, H, T, Tk), Heads: o.heads,
		Colors: cols, LayerNames: o.layerNames}, arr)
}
