package viz

import (
	"math"
	"strconv"

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

// drawGrid draws Grid, and the PNG of HeadView and Explorer: the attention
// of every chosen layer and head, kept for the interactive view.
func drawGrid(f *Figure, in inputs) (*raster.Page, error) {
	view := f.view.name
	st, err := readStack(view, in.t[0], &f.cfg)
	if err != nil {
		return nil, err
	}
	if err := checkProbs(f, view, "the attention", st.d, st.shape); err != nil {
		return nil, err
	}
	f.data = st
	return gridPage(f, st), nil
}

// stack is a [L, H, Tq, Tk] attention tensor with the chosen layers/heads.
type stack struct {
	d             []float32
	shape         []int
	L, H, Tq, Tk  int
	layers, heads []int
}

func (s *stack) head(l, h int) []float32 {
	n := s.Tq * s.Tk
	o := (l*s.H + h) * n
	return s.d[o : o+n]
}

func readStack(view string, att *tensor.Tensor, cfg *config) (*stack, error) {
	d, shape, err := read(view, "the attention", att)
	if err != nil {
		return nil, err
	}
	st := &stack{d: d}
	switch len(shape) {
	case 4:
		st.L, st.H, st.Tq, st.Tk = shape[0], shape[1], shape[2], shape[3]
	case 3:
		st.L, st.H, st.Tq, st.Tk = 1, shape[0], shape[1], shape[2]
	case 2:
		st.L, st.H, st.Tq, st.Tk = 1, 1, shape[0], shape[1]
	default:
		return nil, shapeErr(view, "attention of shape [layers, heads, queries, keys] (or [heads, queries, keys])", shape, "")
	}
	st.shape = []int{st.L, st.H, st.Tq, st.Tk}
	if err := checkValues(view, "the attention", d, st.shape, false); err != nil {
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
				return nil, tensor.Errorf(tensor.ErrValue, "viz.%s: %s %d does not exist; the attention has %d %ss (0 … %d)", view, what, v, n, what, n-1)
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

func gridPage(f *Figure, st *stack) *raster.Page {
	cfg := &f.cfg
	cm := cfg.cmap
	if cm == nil {
		cm = Viridis
	}
	c := newCanvas(cfg, []*Colormap{cm}, nil)
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
	target := math.Min(math.Max(c.px(900)/float64(maxDim), c.px(40)), c.px(220))
	if cfg.sizeSet {
		target = math.Max(8, math.Min(float64(cfg.w-int(c.px(120)))/float64(nh), float64(cfg.h-int(c.px(80)))/float64(nl))-c.px(6))
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
	title := "Attention by layer and head"
	if shared {
		title += " (one scale)"
	} else {
		title += " (each head scaled to its maximum)"
	}
	title = cfg.titleOr(title)
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
	cbH := int(math.Min(gridH, c.px(320)))
	if cbH < int(c.px(100)) {
		cbH = int(c.px(100))
	}
	cbLabel := "weight"
	if !shared {
		cbLabel = "fraction of the head's maximum"
	}
	cbW := colorbar(c, 0, 0, cbH, c.maps[0], lo, hi, cbLabel, false)
	pageW := left + gridW + c.px(16) + cbW + pad
	pageH := top + math.Max(gridH+tokW, float64(cbH)) + pad
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
	return c.finish(pageW, pageH)
}
