package viz

import (
	"fmt"
	"math"
	"strconv"

	"github.com/attnviz/attnviz/internal/english"
	"github.com/attnviz/attnviz/tensor"
	"github.com/attnviz/attnviz/viz/internal/raster"
)

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

// drawGrid draws Grid: the attention of every chosen layer and head, kept
// for the interactive view (the explorer's).
func drawGrid(f *Figure, in inputs) (*raster.Page, error) {
	st, err := readGridStack(f, in)
	if err != nil {
		return nil, err
	}
	return gridPage(f, st), nil
}

// readGridStack reads the stack of a view that draws a grid of heads
// (Grid, Explorer), checks it and keeps it for the interactive view.
func readGridStack(f *Figure, in inputs) (*stack, error) {
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
	return st, nil
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
