package viz

import (
	"fmt"
	"image/color"
	"math"
	"strconv"

	"github.com/attnviz/attnviz/internal/english"
	"github.com/attnviz/attnviz/tensor"
	"github.com/attnviz/attnviz/viz/internal/echarts"
	"github.com/attnviz/attnviz/viz/internal/raster"
)

// The views of every layer and head of a [L, H, T, T] attention stack:
// Grid (the heads as small heatmaps), Explorer (the grid with one head
// opened, interactive) and HeadView (BertViz's lines from queries to keys),
// and the reading of that stack (readStack), which the other views of
// several heads (HeadStats, Induction, Rollout, Heatmap's head picking)
// share.

// Grid draws a model view: attention of every layer (rows) and head
// (columns) from a [L, H, T, T] tensor ([H, T, T] is one layer), each head a
// small heatmap, rows queries and columns keys. Layers and Heads pick a
// subset; SharedScale(true) puts every head on one colour scale [0, max],
// the default scales each head to its own maximum so weak heads stay
// visible.
//
// In a notebook it is interactive: the layer/head explorer of Explorer.
func Grid(att *tensor.Tensor, opts ...Option) *Figure {
	return build(gridView, opts, tensors(att))
}

// drawGridStack is the draw of a view that draws a grid of heads (Grid:
// gridPage, Explorer: explorerPage): it reads the stack, checks it, keeps it
// for the interactive view (the explorer, for both) and lays it out with
// page.
func drawGridStack(page func(f *Figure, st *stack) *raster.Page) func(*Figure, inputs) (*raster.Page, error) {
	return func(f *Figure, in inputs) (*raster.Page, error) {
		view := f.view.name
		st, err := readStack(view, in.t[0], &f.cfg)
		if err != nil {
			return nil, err
		}
		if err := notOneMatrix(view, st); err != nil {
			return nil, err
		}
		if err := checkProbs(f, view, "the attention", st.d, st.shape); err != nil {
			return nil, err
		}
		f.data = st
		return page(f, st), nil
	}
}

// batchNote names the sentence of a batch that a figure shows, or "".
func (s *stack) batchNote() string {
	if s.nB > 1 {
		return fmt.Sprintf(" — batch item %d of %d", s.batch, s.nB)
	}
	return ""
}

// stack is a [L, H, Tq, Tk] attention tensor with the chosen layers/heads.
type stack struct {
	d             []float32
	shape         []int
	L, H, Tq, Tk  int
	layers, heads []int

	in        []int // the shape given
	axes      string
	layerAxis bool // the input had a layer axis (4-D without Batch, 5-D)
	headAxis  bool // … a head axis (3-D and up)
	batch, nB int  // the sentence picked and the batch size; nB = 0: no batch axis
}

func (s *stack) head(l, h int) []float32 {
	n := s.Tq * s.Tk
	o := (l*s.H + h) * n
	return s.d[o : o+n]
}

// The axes of attention stacks, as messages name them.
const (
	axesTT    = "[queries, keys]"
	axesHTT   = "[heads, queries, keys]"
	axesLHTT  = "[layers, heads, queries, keys]"
	axesBHTT  = "[batch, heads, queries, keys]"
	axesLBHTT = "[layers, batch, heads, queries, keys]"
	// stackShapes says which shapes a view of a stack takes.
	stackShapes = "attention of shape " + axesLHTT + " (" + axesHTT + " is one layer; " + axesLBHTT +
		" is a batch, as torch.stack(outputs.attentions) gives)"
)

// readStack reads attention of 2 to 5 dimensions as [L, H, Tq, Tk] (see
// Batch for how the axes are read), picking the sentence of a batch, and
// checks the values, the tokens and the Layers and Heads options.
func readStack(view string, att *tensor.Tensor, cfg *config) (*stack, error) {
	d, shape, err := read(view, "the attention", att)
	if err != nil {
		return nil, err
	}
	st := &stack{d: d, in: shape}
	batch := cfg.has(optBatch)
	var n []int // L, B, H, Tq, Tk (B = 0: none)
	switch {
	case len(shape) == 5:
		n, st.axes = []int{shape[0], shape[1], shape[2], shape[3], shape[4]}, axesLBHTT
	case len(shape) == 4 && batch:
		n, st.axes = []int{1, shape[0], shape[1], shape[2], shape[3]}, axesBHTT
	case len(shape) == 4:
		n, st.axes = []int{shape[0], 0, shape[1], shape[2], shape[3]}, axesLHTT
	case len(shape) == 3:
		n, st.axes = []int{1, 0, shape[0], shape[1], shape[2]}, axesHTT
	case len(shape) == 2:
		n, st.axes = []int{1, 0, 1, shape[0], shape[1]}, axesTT
	default:
		return nil, shapeErr(view, stackShapes, shape, "")
	}
	st.L, st.nB, st.H, st.Tq, st.Tk = n[0], n[1], n[2], n[3], n[4]
	st.layerAxis = len(shape) == 5 || (len(shape) == 4 && !batch)
	st.headAxis = len(shape) >= 3
	if batch && st.nB == 0 {
		return nil, tensor.Errorf(tensor.ErrShape, "viz.%s: Batch(%d) was given, but the attention of shape %v has no batch axis: it is %s; drop viz.Batch (a batch is %s, or %s for one layer)",
			view, cfg.batch, shape, st.axes, axesLBHTT, axesBHTT)
	}
	if st.nB > 0 {
		b := 0
		switch {
		case batch && (cfg.batch < 0 || cfg.batch >= st.nB):
			return nil, tensor.Errorf(tensor.ErrValue, "viz.%s: Batch(%d) does not exist: the attention of shape %v is %s, a batch of %s (0 … %d)",
				view, cfg.batch, shape, st.axes, english.Count(st.nB, "sentence"), st.nB-1)
		case batch:
			b = cfg.batch
		case st.nB > 1:
			return nil, tensor.Errorf(tensor.ErrShape, "viz.%s: the attention of shape %v is %s, a batch of %s; pick one with viz.Batch(i) (0 … %d)",
				view, shape, st.axes, english.Count(st.nB, "sentence"), st.nB-1)
		}
		st.batch = b
		// keep sentence b of every layer
		per := st.H * st.Tq * st.Tk
		if st.L == 1 {
			st.d = d[b*per : (b+1)*per]
		} else {
			st.d = make([]float32, st.L*per)
			for l := 0; l < st.L; l++ {
				copy(st.d[l*per:], d[(l*st.nB+b)*per:(l*st.nB+b+1)*per])
			}
		}
	}
	st.shape = []int{st.L, st.H, st.Tq, st.Tk}
	if err := checkValues(view, "the attention", st.d, st.shape, false); err != nil {
		return nil, err
	}
	if err := tokenCountErr(view, cfg, st.Tq, st.Tk); err != nil {
		return nil, err
	}
	pick := func(what string, sel []int, n int) ([]int, error) {
		if len(sel) == 0 {
			out := make([]int, n)
			for i := range out {
				out[i] = i
			}
			return out, nil
		}
		for _, v := range sel {
			if v < 0 || v >= n {
				return nil, tensor.Errorf(tensor.ErrValue, "viz.%s: %s %d does not exist; the attention (%v, %s) has %s (0 … %d)", view, what, v, shape, st.axes, english.Count(n, what), n-1)
			}
		}
		return sel, nil
	}
	if st.layers, err = pick("layer", cfg.layers, st.L); err != nil {
		return nil, err
	}
	if st.heads, err = pick("head", cfg.heads, st.H); err != nil {
		return nil, err
	}
	return st, nil
}

// notOneMatrix refuses one [queries, keys] matrix where a view draws a
// grid of heads.
func notOneMatrix(view string, st *stack) error {
	if len(st.in) != 2 {
		return nil
	}
	return tensor.Errorf(tensor.ErrShape, "viz.%s: want %s, got one %s matrix of shape %v; a grid needs several heads: draw this one with viz.Heatmap",
		view, stackShapes, axesTT, st.in)
}

// gridPage lays out Grid: the attention of every chosen layer and head.
func gridPage(f *Figure, st *stack) *raster.Page {
	c := gridCanvas(&f.cfg)
	w, h := drawGridOn(c, &f.cfg, st, "", -1, -1, 0, 900)
	return c.finish(w, h)
}

// gridCanvas is the canvas of a grid of heads.
func gridCanvas(cfg *config) *canvas {
	cm := cfg.cmap
	if cm == nil {
		cm = Viridis
	}
	return newCanvas(cfg, []*Colormap{cm}, nil)
}

// drawGridOn draws the layers × heads grid with its title (def when the
// Title option is not given, "" for the grid's own) and colour bar, the
// head of layer ol, head oh outlined (ol < 0: none), leaving room for
// extraW more pixels on the right; the heads share about budget design
// pixels along the longer side. It returns the page's size.
func drawGridOn(c *canvas, cfg *config, st *stack, def string, ol, oh int, extraW, budget float64) (pageW, pageH float64) {
	nl, nh := len(st.layers), len(st.heads)
	shared := cfg.shared
	T := st.Tq
	if st.Tk > T {
		T = st.Tk
	}
	// panel size
	maxDim := nl
	if nh > maxDim {
		maxDim = nh
	}
	target := math.Min(math.Max(c.px(budget)/float64(maxDim), c.px(budget/22)), c.px(budget/4))
	if cfg.sizeSet {
		// a head stays wide enough for its label (H11) and tall enough
		// for its layer's (L11); the page grows past a smaller Size,
		// which build then refuses
		minPanel := math.Max(c.px(16), math.Max(c.tw("H"+strconv.Itoa(st.H-1), ptTick, true)+c.px(4), c.th_(ptTick)*1.2))
		target = math.Max(minPanel, math.Min((float64(cfg.w)-extraW-c.px(120))/float64(nh), float64(cfg.h-int(c.px(80)))/float64(nl))-c.px(6))
	}
	cell, pool := 1, 1
	if int(target)/T >= 1 {
		cell = int(target) / T
	} else {
		pool = int(math.Ceil(float64(T) / target))
	}
	pw, ph := ceilDiv(st.Tk, pool)*cell, ceilDiv(st.Tq, pool)*cell
	gap := c.px(6)
	pad := c.px(10)
	lh := c.th_(ptTick)

	var lo, hi float64 = 0, 1
	if shared {
		_, hi, _ = minMax(st.d, nil)
		if !(hi > 0) {
			hi = 1
		}
		if cfg.has(optRange) && cfg.hi > cfg.lo {
			lo, hi = cfg.lo, cfg.hi
		}
	}
	title := def
	if title == "" {
		title = "Attention by layer and head"
		if shared {
			title += " (one scale)"
		} else {
			title += " (each head scaled to its maximum)"
		}
	}
	title = cfg.titleOr(title + st.batchNote())
	titleH := c.th_(ptTitle) + c.px(8)
	rowLabW := c.tw("L"+strconv.Itoa(st.layers[len(st.layers)-1]), ptTick, true)
	for _, l := range st.layers {
		rowLabW = math.Max(rowLabW, c.tw("L"+strconv.Itoa(l), ptTick, true))
	}
	// token labels on the outer panels when every token fits
	showToks := cfg.has(optTokens) && pool == 1 && float64(cell) >= lh*1.05
	tokW := 0.0
	if showToks {
		for _, t := range append(append([]string{}, cfg.qTok...), cfg.kTok...) {
			tokW = math.Max(tokW, c.tw(tokLabel(t, 12), ptTick, false))
		}
		tokW += c.px(4)
	}
	left := pad + rowLabW + c.px(6) + tokW
	top := pad + titleH + lh + c.px(4)
	gridW := float64(nh)*(float64(pw)+gap) - gap
	gridH := float64(nl)*(float64(ph)+gap) - gap
	cbLabel := "weight"
	if !shared {
		cbLabel = "fraction of the head's maximum"
	}
	// the colour bar is as tall as the grid (at most 320), and as its label
	cbH := int(max(math.Min(gridH, c.px(320)), c.px(100), c.tw(cbLabel, ptAxis, false)+c.px(8)))
	cbW := colorbar(c, 0, 0, cbH, c.maps[0], lo, hi, cbLabel, false)
	pageW = left + gridW + c.px(16) + cbW + pad + extraW
	pageH = top + math.Max(gridH+tokW, float64(cbH)) + pad
	if tw := c.tw(title, ptTitle, true) + 2*pad; tw > pageW {
		pageW = tw
	}
	if cfg.sizeSet {
		pageW, pageH = math.Max(pageW, float64(cfg.w)), math.Max(pageH, float64(cfg.h))
	}
	c.text(pad, pad, title, ptTitle, true, c.th.fg, 0, 0)
	for j, h := range st.heads {
		x := left + float64(j)*(float64(pw)+gap) + float64(pw)/2
		c.text(x, top-c.px(3), "H"+strconv.Itoa(h), ptTick, true, c.th.fg, 0.5, 1)
	}
	for i, l := range st.layers {
		y := top + float64(i)*(float64(ph)+gap)
		c.text(left-c.px(6)-tokW, y+float64(ph)/2, "L"+strconv.Itoa(l), ptTick, true, c.th.fg, 1, 0.5)
		if showToks {
			for r := 0; r < st.Tq; r++ {
				c.text(left-c.px(3), y+(float64(r)+0.5)*float64(cell), tokLabel(cfg.qTok[r], 12), ptTick, false, c.th.fg, 1, 0.5)
			}
		}
		for j, h := range st.heads {
			x := left + float64(j)*(float64(pw)+gap)
			vals := st.head(l, h)
			plo, phi := lo, hi
			if !shared {
				_, phi, _ = minMax(vals, nil)
				plo = 0
				if !(phi > 0) {
					phi = 1
				}
			}
			m := &matPanel{rows: st.Tq, cols: st.Tk, vals: vals, lo: plo, hi: phi, cmap: c.maps[0],
				noTicks: true, highlight: -1, cell: cell, pool: pool}
			m.draw(c, panelLayout{}, int(x), int(y))
			if l == ol && h == oh {
				w := math.Max(2, c.px(2))
				c.pg.StrokeRect(x-w, y-w, float64(pw)+2*w, float64(ph)+2*w, w, c.th.accent)
			}
			if showToks && i == nl-1 {
				for k := 0; k < st.Tk; k++ {
					c.textRot(x+(float64(k)+0.5)*float64(cell), y+float64(ph)+c.px(3), tokLabel(cfg.kTok[k], 12), ptTick, c.th.fg, 0.5, 0)
				}
			}
		}
	}
	if !shared {
		lo, hi = 0, 1
	}
	colorbar(c, left+gridW+c.px(16), top, cbH, c.maps[0], lo, hi, cbLabel, true)
	return pageW, pageH
}

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

// explorerPage lays out the static explorer: every layer and head as
// thumbnails, the opened one (the first of Layers and Heads) outlined and
// drawn large beside them.
func explorerPage(f *Figure, st *stack) *raster.Page {
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
	return c.finish(w, h)
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
