package viz

import (
	"fmt"
	"math"

	"github.com/attnviz/attnviz/tensor"
	"github.com/attnviz/attnviz/viz/internal/echarts"
	"github.com/attnviz/attnviz/viz/internal/raster"
)

// Explorer is the layer/head explorer of a [L, H, T, T] attention tensor:
// layer and head selectors, a thumbnail grid of every head (click one to
// open it) and the chosen head as a zoomable heatmap with token tooltips.
// Each head has its own colour scale unless SharedScale(true). Layers and
// Heads pick the head opened first.
//
// The PNG (and SVG/PDF) is the explorer on paper: the layers × heads grid
// of every head, the opened head outlined, and that head beside it as a
// heatmap with its tokens.
func Explorer(att *tensor.Tensor, opts ...Option) *Figure {
	return build(explorerView, opts, tensors(att))
}

// drawExplorer draws the static explorer: every layer and head as
// thumbnails, the opened one (the first of Layers and Heads) outlined and
// drawn large beside them.
func drawExplorer(f *Figure, in inputs) (*raster.Page, error) {
	st, err := readGridStack(f, in)
	if err != nil {
		return nil, err
	}
	cfg := &f.cfg
	ol, oh := st.layers[0], st.heads[0]
	all := *st // the thumbnails show every head, as the interactive explorer does
	all.layers, all.heads = seq(st.L), seq(st.H)
	c := gridCanvas(cfg)
	// the opened head: a heatmap panel with the tokens
	vals := st.head(ol, oh)
	hi := scale0(vals)
	if cfg.shared {
		hi = scale0(st.d)
	}
	if cfg.shared && cfg.has(optRange) && cfg.hi > cfg.lo {
		hi = cfg.hi
	}
	m := &matPanel{rows: st.Tq, cols: st.Tk, vals: vals, lo: 0, hi: hi, cmap: c.maps[0], highlight: -1,
		rowTitle: "query", colTitle: "key", title: fmt.Sprintf("layer %d, head %d", ol, oh)}
	if cfg.has(optTokens | optKeyTokens) {
		m.rowLabels, m.colLabels = cfg.qTok, cfg.kTok
	}
	m.cell, m.pool = chooseCell(c, max(st.Tq, st.Tk), c.px(360), 0)
	L := m.layout(c)
	detailW := c.px(24) + L.left + float64(m.dataW()) + math.Max(L.right, 0)
	w, h := drawGridOn(c, cfg, &all, "Explorer: every layer and head"+st.batchNote(), ol, oh, detailW, 480)
	pad := c.px(10)
	top := pad + c.th_(ptTitle) + c.px(8) + c.th_(ptTick) + c.px(4) + L.top
	x0 := w - pad - math.Max(L.right, 0) - float64(m.dataW())
	m.draw(c, L, int(x0), int(top))
	h = math.Max(h, top+float64(m.dataH())+L.bottom+pad)
	if cfg.sizeSet {
		h = math.Max(h, float64(cfg.h))
	}
	return c.finish(w, h), nil
}

// seq is 0 … n−1.
func seq(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

// explorerInteractive is the interactive form of Explorer and Grid.
func explorerInteractive(f *Figure, o *iopts) *echarts.Chart {
	st := f.data.(*stack)
	o.layer, o.head = st.layers[0], st.heads[0]
	return explorerChart(st.d, st.L, st.H, st.Tq, st.Tk, o)
}

// stackSpec begins the spec of a view of [L, H, T, Tk] attention.
type stackSpec struct {
	specBase
	L     int `json:"L"`
	H     int `json:"H"`
	T     int `json:"T"`
	Tk    int `json:"Tk"`
	Layer int `json:"layer"`
}

func (o *iopts) stack(L, H, T, Tk int) stackSpec {
	return stackSpec{specBase: o.base(), L: L, H: H, T: T, Tk: Tk, Layer: o.layer}
}

type explorerSpec struct {
	stackSpec
	Head       int      `json:"head"`
	Shared     bool     `json:"shared"`
	Lo         float64  `json:"lo"`
	Hi         float64  `json:"hi"`
	Pal        []string `json:"pal"`
	LayerNames []string `json:"layerNames,omitempty"`
	HeadNames  []string `json:"headNames,omitempty"`
}

// explorerChart writes the explorer of att, [L, H, T, Tk]; each head has
// its own colour scale unless o.shared.
func explorerChart(att []float32, L, H, T, Tk int, o *iopts) *echarts.Chart {
	pal := o.palette(Viridis)
	lo, hi := o.colourRange(att)
	return o.chart("explorer", 1100, 620, explorerSpec{stackSpec: o.stack(L, H, T, Tk), Head: o.head,
		Shared: o.shared, Lo: lo, Hi: hi, Pal: pal, LayerNames: o.layerNames, HeadNames: o.headNames},
		echarts.Auto("w", att, lo, hi))
}
