package viz

import (
	"fmt"
	"math"

	"github.com/attnviz/attnviz/internal/english"
	"github.com/attnviz/attnviz/tensor"
	"github.com/attnviz/attnviz/viz/internal/echarts"
	"github.com/attnviz/attnviz/viz/internal/raster"
)

// TokenStrip draws the tokens as a line of text, each coloured by the
// attention one query pays it, with the weight under it. w is a [T, T]
// matrix (Query picks the row, default the last) or one row [T].
func TokenStrip(w *tensor.Tensor, opts ...Option) *Figure {
	return build(tokenStripView, opts, tensors(w))
}

func drawTokenStrip(f *Figure, in inputs) (*raster.Page, error) {
	cfg := &f.cfg
	d, shape, err := read("TokenStrip", "the weights", in.t[0])
	if err != nil {
		return nil, err
	}
	given := shape
	shape = squeezeLead(shape, 1)
	var row []float32
	q := -1
	switch len(shape) {
	case 1:
		row = d
		if cfg.has(optQuery) {
			q = cfg.query
		}
		f.data = &stripData{d: d, rows: 0, cols: len(d)}
	case 2:
		if q, err = checkQuery("TokenStrip", cfg, shape[0], shape[0]-1, "query|queries"); err != nil {
			return nil, err
		}
		if err := tokenCountErr("TokenStrip", cfg, shape[0], shape[1]); err != nil {
			return nil, err
		}
		row = d[q*shape[1] : (q+1)*shape[1]]
		// every row, for the interactive query selector
		f.data = &stripData{d: d, rows: shape[0], cols: shape[1], query: q}
	default:
		return nil, shapeErr("TokenStrip", "a [queries × keys] matrix or one row of weights [keys]", given, rankHint(given))
	}
	T := len(row)
	if err := checkValues("TokenStrip", "the weights", row, []int{T}, false); err != nil {
		return nil, err
	}
	for i, v := range row {
		if v < 0 {
			return nil, tensor.Errorf(tensor.ErrValue, "viz.TokenStrip: weights must be ≥ 0, got %v at key %d; pass softmax weights", v, i)
		}
	}
	rowSumWarning(f, row, T)
	var toks []string
	if cfg.has(optTokens | optKeyTokens) {
		if len(cfg.kTok) != T {
			return nil, tensor.Errorf(tensor.ErrShape, "viz.TokenStrip: %s for %s; pass one token per key", english.Count(len(cfg.kTok), "key token"), english.Count(T, "weight"))
		}
		toks = cfg.kTok
	} else {
		toks = make([]string, T)
		for i := range toks {
			toks[i] = fmt.Sprint(i)
		}
	}
	cm := cfg.cmap
	if cm == nil {
		cm = Viridis
	}
	c := newCanvas(cfg, []*Colormap{cm}, nil)
	lo, hi := 0.0, 0.0
	for _, v := range row {
		hi = math.Max(hi, float64(v))
	}
	if cfg.has(optRange) && cfg.hi > cfg.lo {
		lo, hi = cfg.lo, cfg.hi
	}
	if !(hi > lo) {
		hi = lo + 1
	}
	title := "Attention over the tokens"
	if q >= 0 {
		title = fmt.Sprintf("Where query %d looks", q)
		if cfg.has(optTokens) && q < len(cfg.qTok) {
			title = fmt.Sprintf("Where query %d %q looks", q, tokLabel(cfg.qTok[q], 24))
		}
	}
	title, pad, y := c.heading(cfg, title)
	y += c.px(10)
	maxW := c.px(900)
	if cfg.sizeSet {
		maxW = float64(cfg.w) - 2*pad
	}
	x := pad
	th := c.th_(ptAxis)
	boxH := th + c.px(8)
	lineH := boxH + c.th_(ptAnnot) + c.px(10)
	right := x
	for i, tok := range toks {
		lab := tokLabel(tok, 24)
		w := math.Max(c.tw(lab, ptAxis, false), c.tw("0.00", ptAnnot, false)) + c.px(10)
		if x+w > pad+maxW && x > pad {
			x = pad
			y += lineH
		}
		col := c.pg.Pal.At(c.maps[0].Index((float64(row[i]) - lo) / (hi - lo)))
		c.pg.FillRect(math.Round(x), math.Round(y), math.Round(w), math.Round(boxH), col)
		if i == q {
			c.pg.StrokeRect(math.Round(x)-2, math.Round(y)-2, math.Round(w)+4, math.Round(boxH)+4, 2, c.th.accent)
		}
		c.text(x+w/2, y+boxH/2, lab, ptAxis, i == q, inkOn(col), 0.5, 0.5)
		c.text(x+w/2, y+boxH+c.px(2), fmtVal(float64(row[i]), 2), ptAnnot, false, c.th.muted, 0.5, 0)
		x += w + c.px(4)
		right = math.Max(right, x)
	}
	y += lineH
	// a small scale
	cbW := c.px(160)
	n := c.maps[0].Levels
	idx := make([]uint8, n)
	for i := range idx {
		idx[i] = uint8(c.maps[0].Base + i)
	}
	c.text(pad, y+c.px(5), fmtTick(lo, 0.01), ptTick, false, c.th.fg, 0, 0.5)
	sx := pad + c.tw(fmtTick(lo, 0.01), ptTick, false) + c.px(4)
	c.pg.DrawCells(&raster.Cells{X: int(sx), Y: int(y), W: int(cbW), H: int(c.px(10)), Cols: n, Rows: 1, Idx: idx})
	c.text(sx+cbW+c.px(4), y+c.px(5), fmtTick(hi, 0.01)+"  weight", ptTick, false, c.th.fg, 0, 0.5)
	right = math.Max(right, sx+cbW+c.px(80))
	pageW := math.Max(right+pad, c.tw(title, ptTitle, true)+2*pad)
	return c.finish(pageW, y+c.px(10)+pad), nil
}

// ---- interactive

// stripData is what TokenStrip keeps for its interactive form.
type stripData struct {
	d          []float32 // rows×cols, or one row when rows is 0
	rows, cols int
	query      int
}

// stripInteractive lets the student pick the query of a matrix; one row is
// a strip without a choice.
func stripInteractive(f *Figure, o *iopts) *echarts.Chart {
	s := f.data.(*stripData)
	if s.rows > 0 {
		o.pin = s.query
		return stripChart(s.d, s.rows, s.cols, o)
	}
	q := "query"
	if f.cfg.has(optQuery) {
		q = fmt.Sprintf("query %d", f.cfg.query)
		if f.cfg.has(optTokens|optKeyTokens) && f.cfg.query >= 0 && f.cfg.query < len(f.cfg.kTok) {
			q = f.cfg.kTok[f.cfg.query]
		}
	}
	o.q = []string{q}
	o.pin = 0
	if o.k == nil {
		o.k = make([]string, s.cols)
		for i := range o.k {
			o.k[i] = fmt.Sprint(i)
		}
	}
	return stripChart(s.d, 1, s.cols, o)
}

type stripSpec struct {
	specBase
	T     int      `json:"T"`
	Tk    int      `json:"Tk"`
	Query int      `json:"query"`
	Lo    float64  `json:"lo"`
	Hi    float64  `json:"hi"`
	Pal   []string `json:"pal"`
}

// stripChart writes the strip of w, [T, Tk]: row o.pin (the last when
// negative) over the key tokens, any row chosen in the page.
func stripChart(w []float32, T, Tk int, o *iopts) *echarts.Chart {
	qi := T - 1
	if o.pin >= 0 {
		qi = o.pin
	}
	pal := o.palette(Viridis)
	lo, hi := o.colourRange(w)
	return o.chart("strip", 760, 160, stripSpec{specBase: o.base(), T: T, Tk: Tk, Query: qi, Lo: lo, Hi: hi, Pal: pal},
		echarts.Auto("w", w, lo, hi))
}
