package viz

// How figures are drawn: the colour maps and themes, the canvas a view lays
// its page out on (text, number formats), the matrix panel every view draws
// its cells with, and the colour bar.

import (
	"image/color"
	"math"
	"runtime"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/attnviz/attnviz/viz/internal/raster"
)

// ---- colours

// Colormap maps a value in [0, 1] to a colour. The predefined maps are
// colour-blind safe: Viridis, Cividis and Magma are sequential (for
// attention weights, which run from 0 to 1); Diverging is centred on its
// middle (for raw scores before softmax, centred on 0).
type Colormap struct {
	name      string
	stops     []uint32
	diverging bool
}

// Name returns the colour map's name.
func (c *Colormap) Name() string {
	if c == nil {
		return "viridis"
	}
	return c.name
}

// Diverging reports whether the map is centred on its middle.
func (c *Colormap) Diverging() bool { return c != nil && c.diverging }

// At returns the colour for t in [0, 1] (clamped), interpolating linearly
// between the map's stops.
func (c *Colormap) At(t float64) color.RGBA {
	if c == nil || len(c.stops) == 0 {
		c = Viridis
	}
	if !(t > 0) {
		t = 0
	}
	if t > 1 {
		t = 1
	}
	x := t * float64(len(c.stops)-1)
	i := int(math.Floor(x))
	if i >= len(c.stops)-1 {
		return rgb(c.stops[len(c.stops)-1])
	}
	f := x - float64(i)
	a, b := rgb(c.stops[i]), rgb(c.stops[i+1])
	m := func(p, q uint8) uint8 { return uint8(float64(p)*(1-f) + float64(q)*f + 0.5) }
	return color.RGBA{m(a.R, b.R), m(a.G, b.G), m(a.B, b.B), 255}
}

func rgb(v uint32) color.RGBA {
	return color.RGBA{uint8(v >> 16), uint8(v >> 8), uint8(v), 255}
}

// The colour maps. Viridis, Cividis and Magma are sampled from matplotlib's
// tables (33 stops); Diverging is Paul Tol's colour-blind-safe BuRd.
var (
	Viridis = &Colormap{name: "viridis", stops: []uint32{0x440154, 0x470d60, 0x48186a, 0x482374, 0x472d7b, 0x453781, 0x424086, 0x3e4989, 0x3b528b, 0x375b8d, 0x33638d, 0x2f6b8e, 0x2c728e, 0x297a8e, 0x26828e, 0x23898e, 0x21918c, 0x1f988b, 0x1fa088, 0x22a785, 0x28ae80, 0x32b67a, 0x3fbc73, 0x4ec36b, 0x5ec962, 0x70cf57, 0x84d44b, 0x98d83e, 0xaddc30, 0xc2df23, 0xd8e219, 0xece51b, 0xfde725}}
	Cividis = &Colormap{name: "cividis", stops: []uint32{0x00224e, 0x00285b, 0x002e6a, 0x053371, 0x1a386f, 0x273e6e, 0x32436d, 0x3b496c, 0x434e6c, 0x4b546c, 0x535a6d, 0x5a5f6e, 0x61656f, 0x686a71, 0x6f7073, 0x767676, 0x7d7c78, 0x848279, 0x8c8878, 0x938e78, 0x9b9476, 0xa39a74, 0xaba072, 0xb4a76f, 0xbcae6c, 0xc4b468, 0xcdbb63, 0xd5c25e, 0xdec958, 0xe7d150, 0xf0d846, 0xf9e03a, 0xfee838}}
	Magma   = &Colormap{name: "magma", stops: []uint32{0x000004, 0x030312, 0x0a0822, 0x130d34, 0x1d1147, 0x29115a, 0x36106b, 0x440f76, 0x51127c, 0x5d177f, 0x6a1c81, 0x762181, 0x832681, 0x902a81, 0x9c2e7f, 0xaa337d, 0xb73779, 0xc43c75, 0xd0416f, 0xdc4869, 0xe75263, 0xef5d5e, 0xf56b5c, 0xf9795d, 0xfc8961, 0xfd9869, 0xfea772, 0xfeb67c, 0xfec488, 0xfed395, 0xfde2a3, 0xfcf0b2, 0xfcfdbf}}
	// Diverging runs blue (negative) – near white (0) – red (positive).
	Diverging = &Colormap{name: "diverging", diverging: true, stops: []uint32{0x2166ac, 0x4393c3, 0x92c5de, 0xd1e5f0, 0xf7f7f7, 0xfddbc7, 0xf4a582, 0xd6604d, 0xb2182b}}
)

// HeadColors are 16 colours that stay distinguishable (Okabe–Ito without
// black, then Paul Tol's muted scheme); HeadColor cycles through them.
var HeadColors = []color.RGBA{
	rgb(0x0072b2), rgb(0xe69f00), rgb(0x009e73), rgb(0xd55e00), rgb(0xcc79a7), rgb(0x56b4e9), rgb(0xf0e442),
	rgb(0x332288), rgb(0x117733), rgb(0x882255), rgb(0xddcc77), rgb(0x44aa99), rgb(0xcc6677), rgb(0x999933), rgb(0xaa4499), rgb(0x88ccee),
}

// HeadColor returns the colour of head h.
func HeadColor(h int) color.RGBA {
	if h < 0 {
		h = -h
	}
	return HeadColors[h%len(HeadColors)]
}

// ThemeMode is light or dark: the colours of a figure's background and
// text (pick one with the Theme option).
type ThemeMode int

const (
	Light ThemeMode = iota // dark text on white
	Dark                   // light text on a near-black background
)

type themeColors struct {
	bg, fg, muted, grid, mask, hatch, accent color.RGBA
}

func (t ThemeMode) colors() themeColors {
	if t == Dark {
		return themeColors{
			bg: rgb(0x16181d), fg: rgb(0xe8e8e8), muted: rgb(0xa0a4ab), grid: rgb(0x3a3e46),
			mask: rgb(0x3c3f45), hatch: rgb(0x7d828b), accent: rgb(0xff8c42),
		}
	}
	return themeColors{
		bg: rgb(0xffffff), fg: rgb(0x1f1f1f), muted: rgb(0x666666), grid: rgb(0xd0d0d0),
		mask: rgb(0xd9d9d9), hatch: rgb(0x9a9a9a), accent: rgb(0xd55e00),
	}
}

// ---- the canvas

// Font sizes in points.
const (
	ptTitle = 12.0
	ptAxis  = 10.0
	ptTick  = 9.0
	ptAnnot = 8.0
)

// canvas is a page being laid out, with the figure's theme and palette.
type canvas struct {
	pg    *raster.Page
	th    themeColors
	s     float64 // pixels per "design pixel" (DPI/96)
	maps  []raster.MapRef
	mask  uint8
	hatch uint8
}

// newCanvas makes a page whose palette holds the given colour maps, the
// theme's colours, blends for anti-aliased text and the extra colours.
func newCanvas(cfg *config, cmaps []*Colormap, extra []color.RGBA) *canvas {
	th := cfg.theme.colors()
	pal := &raster.Palette{}
	c := &canvas{th: th, s: cfg.dpi / 96}
	reserve := 10 + 20 + 3*len(extra)
	levels := 192
	if len(cmaps) > 0 {
		if l := (256 - reserve) / len(cmaps); l < levels {
			levels = l
		}
	}
	for _, m := range cmaps {
		c.maps = append(c.maps, pal.AddMap(m.At, levels))
	}
	pal.Add(th.bg)
	pal.Add(th.fg)
	pal.Add(th.muted)
	pal.Add(th.grid)
	c.mask = pal.Add(th.mask)
	c.hatch = pal.Add(th.hatch)
	pal.Add(th.accent)
	pal.Add(color.RGBA{255, 255, 255, 255})
	pal.Add(color.RGBA{0, 0, 0, 255})
	for _, e := range extra {
		pal.Add(e)
	}
	pal.AddBlends(th.bg, th.fg, 14)
	pal.AddBlends(th.bg, th.muted, 4)
	for _, e := range extra {
		pal.AddBlends(th.bg, e, 2)
	}
	pal.AddBlends(th.bg, th.accent, 2)
	c.pg = raster.NewPage(1, 1, cfg.dpi, th.bg, pal)
	return c
}

func (c *canvas) px(v float64) float64 { return math.Round(v * c.s) }

func (c *canvas) text(x, y float64, s string, size float64, bold bool, col color.RGBA, ax, ay float64) {
	c.pg.Text(x, y, s, raster.TextStyle{Size: size, Bold: bold, Color: col, AX: ax, AY: ay})
}

func (c *canvas) textRot(x, y float64, s string, size float64, col color.RGBA, ax, ay float64) {
	c.pg.Text(x, y, s, raster.TextStyle{Size: size, Color: col, AX: ax, AY: ay, Rot90: true})
}

func (c *canvas) tw(s string, size float64, bold bool) float64 {
	return math.Ceil(c.pg.TextWidth(s, size, bold))
}

func (c *canvas) th_(size float64) float64 { return c.pg.TextHeight(size, false) }

// heading draws the figure's title at the top left: the Title option, else
// def. It returns the title, the page's padding and the y under the title.
func (c *canvas) heading(cfg *config, def string) (title string, pad, y float64) {
	pad = c.px(10)
	title = cfg.titleOr(def)
	c.text(pad, pad, title, ptTitle, true, c.th.fg, 0, 0)
	return title, pad, pad + c.th_(ptTitle)
}

// finish sets the page size.
func (c *canvas) finish(w, h float64) *raster.Page {
	c.pg.W = int(math.Ceil(w))
	c.pg.H = int(math.Ceil(h))
	if c.pg.W < 1 {
		c.pg.W = 1
	}
	if c.pg.H < 1 {
		c.pg.H = 1
	}
	return c.pg
}

// errorPage draws an error message.
func errorPage(msg string, theme ThemeMode) *raster.Page {
	cfg := config{dpi: 96, theme: theme}
	c := newCanvas(&cfg, nil, nil)
	lines := wrap(msg, 86)
	if len(lines) > 12 {
		lines = append(lines[:12], "…")
	}
	pad := 14.0
	lh := c.th_(ptAxis) + 3
	y := pad
	c.text(pad, y, "attnviz could not draw this figure", ptTitle, true, c.th.accent, 0, 0)
	y += c.th_(ptTitle) + 8
	w := c.tw("attnviz could not draw this figure", ptTitle, true)
	for _, l := range lines {
		c.text(pad, y, l, ptAxis, false, c.th.fg, 0, 0)
		if tw := c.tw(l, ptAxis, false); tw > w {
			w = tw
		}
		y += lh
	}
	c.pg.StrokeRect(2, 2, w+2*pad-4, y+pad-4, 2, c.th.accent)
	return c.finish(w+2*pad, y+pad)
}

// wrap breaks s into lines of at most n runes at spaces.
func wrap(s string, n int) []string {
	var out []string
	for _, para := range strings.Split(s, "\n") {
		words := strings.Fields(para)
		line := ""
		for _, w := range words {
			for utf8.RuneCountInString(w) > n {
				r := []rune(w)
				if line != "" {
					out = append(out, line)
					line = ""
				}
				out = append(out, string(r[:n]))
				w = string(r[n:])
			}
			switch {
			case line == "":
				line = w
			case utf8.RuneCountInString(line)+1+utf8.RuneCountInString(w) <= n:
				line += " " + w
			default:
				out = append(out, line)
				line = w
			}
		}
		out = append(out, line)
	}
	return out
}

// tokLabel makes a token printable on an axis: control characters and
// leading/trailing spaces become visible, long tokens are cut.
func tokLabel(s string, max int) string {
	var b strings.Builder
	for i, r := range s {
		switch {
		case r == '\n':
			b.WriteString("\\n")
		case r == '\t':
			b.WriteString("\\t")
		case r == '\r':
			b.WriteString("\\r")
		case r == ' ' && (i == 0 || i == len(s)-1):
			b.WriteRune('·')
		case !unicode.IsPrint(r) && r != ' ':
			b.WriteString("?")
		default:
			b.WriteRune(r)
		}
	}
	out := b.String()
	if out == "" {
		return "''"
	}
	if utf8.RuneCountInString(out) > max {
		r := []rune(out)
		out = string(r[:max-1]) + "…"
	}
	return out
}

// keyLabels labels n keys: their tokens (cut at max runes), else their
// indices.
func keyLabels(cfg *config, n, max int) []string {
	labels := make([]string, n)
	for j := range labels {
		if cfg.has(optTokens | optKeyTokens) {
			labels[j] = tokLabel(cfg.kTok[j], max)
		} else {
			labels[j] = strconv.Itoa(j)
		}
	}
	return labels
}

// niceTicks returns about n round values covering [lo, hi].
func niceTicks(lo, hi float64, n int) (ticks []float64, step float64) {
	if n < 2 {
		n = 2
	}
	if !(hi > lo) {
		return []float64{lo}, 1
	}
	raw := (hi - lo) / float64(n)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step = mag
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	start := math.Ceil(lo/step-1e-9) * step
	for v := start; v <= hi+step*1e-9; v += step {
		if math.Abs(v) < step*1e-9 {
			v = 0
		}
		ticks = append(ticks, v)
		if len(ticks) > 50 {
			break
		}
	}
	return ticks, step
}

func fmtTick(v, step float64) string {
	d := 0
	if step > 0 && step < 1 {
		d = int(math.Ceil(-math.Log10(step) - 1e-9))
		if math.Abs(step*math.Pow(10, float64(d))-2.5) < 1e-6 {
			d++
		}
	}
	if d > 6 {
		return strconv.FormatFloat(v, 'g', 3, 64)
	}
	s := strconv.FormatFloat(v, 'f', d, 64)
	if strings.HasPrefix(s, "-") {
		s = "−" + s[1:]
	}
	return s
}

// fmtVal writes a cell value with a fixed number of decimals.
func fmtVal(v float64, decimals int) string {
	if math.IsInf(v, -1) {
		return "−∞"
	}
	if math.IsInf(v, 1) {
		return "∞"
	}
	s := strconv.FormatFloat(v, 'f', decimals, 64)
	if s == "-"+strings.Repeat("0", 1)+"."+strings.Repeat("0", decimals) || s == "-0" {
		s = s[1:]
	}
	if strings.HasPrefix(s, "-") {
		s = "−" + s[1:]
	}
	return s
}

// decimalsFor picks decimals for annotating values of magnitude up to m.
func decimalsFor(m float64) int {
	switch {
	case m >= 100:
		return 0
	case m >= 10:
		return 1
	default:
		return 2
	}
}

// luminance of a colour in [0, 1] (for black or white text on a cell).
func luminance(c color.RGBA) float64 {
	lin := func(v uint8) float64 {
		x := float64(v) / 255
		if x <= 0.04045 {
			return x / 12.92
		}
		return math.Pow((x+0.055)/1.055, 2.4)
	}
	return 0.2126*lin(c.R) + 0.7152*lin(c.G) + 0.0722*lin(c.B)
}

func inkOn(c color.RGBA) color.RGBA {
	if luminance(c) > 0.3 {
		return color.RGBA{0, 0, 0, 255}
	}
	return color.RGBA{255, 255, 255, 255}
}

// ---- the matrix panel and the colour bar

// matPanel is one matrix drawn as cells with its axes: row labels on the
// left, column labels below (turned when they do not fit), a title above.
type matPanel struct {
	rows, cols int
	vals       []float32 // rows×cols, row-major
	masked     []bool    // nil, or rows×cols: drawn grey and hatched
	lo, hi     float64
	cmap       raster.MapRef
	logical    bool // 0/1 matrix drawn with two colours (mask view)

	rowLabels, colLabels []string // nil: indices
	rowTitle, colTitle   string
	title                string
	titleLeft            bool // title starts at the panel's left edge (labels included)
	noTicks              bool // no tick labels (grid thumbnails)

	annotate bool
	decimals int
	maskText string // written in masked cells when annotating

	highlight int // -1: none

	numRows, numCols bool // thinned token labels carry their index

	// pooled, when set, is the matrix already pooled to one value per
	// pixel (ceil(rows/pool) × ceil(cols/pool); NaN: every cell masked),
	// and pooledMasked says some cell was masked (the pixels are hatched).
	pooled       []float32
	pooledMasked bool
	fixed        bool   // cell and pool are set: the layout keeps them
	note         string // the line under the panel (the pooling), if any
	cell         int    // pixels per cell (≥ 1)
	pool         int    // cells per pixel (≥ 1; > 1 only when cell == 1)
}

func (m *matPanel) dataW() int { return ceilDiv(m.cols, m.pool) * m.cell }
func (m *matPanel) dataH() int { return ceilDiv(m.rows, m.pool) * m.cell }

func ceilDiv(a, b int) int {
	if b <= 1 {
		return a
	}
	return (a + b - 1) / b
}

// span is the pixels per token along an axis.
func (m *matPanel) span() float64 { return float64(m.cell) / float64(m.pool) }

func (m *matPanel) label(labels []string, i int) string {
	if labels == nil {
		return strconv.Itoa(i)
	}
	if (m.numRows && len(labels) == m.rows && sameSlice(labels, m.rowLabels)) || (m.numCols && sameSlice(labels, m.colLabels)) {
		return strconv.Itoa(i) + " " + tokLabel(labels[i], 14)
	}
	return tokLabel(labels[i], 16)
}

func sameSlice(a, b []string) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
}

func absInt(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

// labelStep returns the labelling stride so that labels of size need pixels do
// not overlap.
func labelStep(n int, span, need float64) int {
	if span <= 0 {
		return n
	}
	for _, s := range []int{1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000, 20000, 50000} {
		if float64(s)*span >= need {
			return s
		}
	}
	return n
}

type panelLayout struct {
	rowStep, colStep int
	colRot           bool
	left, top        float64 // margins around the data area
	right, bottom    float64
}

func (m *matPanel) layout(c *canvas) panelLayout {
	var L panelLayout
	tick := c.px(4)
	lh := c.th_(ptTick)
	if m.title != "" {
		L.top = c.th_(ptAxis) + c.px(6)
	}
	if m.noTicks {
		L.left, L.bottom = 0, 0
		if m.rowTitle != "" {
			L.left = c.th_(ptAxis) + c.px(4)
		}
		if m.colTitle != "" {
			L.bottom = c.th_(ptAxis) + c.px(4)
		}
		return L
	}
	L.rowStep = labelStep(m.rows, m.span(), lh*1.1)
	m.numRows = L.rowStep > 1 && m.rowLabels != nil
	maxRow := 0.0
	for i := 0; i < m.rows; i += L.rowStep {
		if w := c.tw(m.label(m.rowLabels, i), ptTick, false); w > maxRow {
			maxRow = w
		}
	}
	maxCol := 0.0
	if m.colLabels == nil {
		maxCol = c.tw(strconv.Itoa(m.cols-1), ptTick, false)
	} else {
		// measuring every one of thousands of tokens costs more than the
		// cells; a sample tells whether labels could lie flat
		stride := 1
		if m.cols > 128 {
			stride = m.cols / 64
		}
		for i := 0; i < m.cols; i += stride {
			if w := c.tw(m.label(m.colLabels, i), ptTick, false); w > maxCol {
				maxCol = w
			}
		}
	}
	hStep := labelStep(m.cols, m.span(), maxCol+c.px(6))
	if hStep == 1 || (m.colLabels == nil && hStep <= 10) {
		L.colStep = hStep
	} else {
		L.colRot = true
		L.colStep = labelStep(m.cols, m.span(), lh*1.1)
	}
	if L.colRot {
		m.numCols = L.colStep > 1 && m.colLabels != nil
		maxCol = 0
		for i := 0; i < m.cols; i += L.colStep {
			if w := c.tw(m.label(m.colLabels, i), ptTick, false); w > maxCol {
				maxCol = w
			}
		}
	}
	L.left = tick + c.px(3) + maxRow
	if m.rowTitle != "" {
		L.left += c.px(6) + c.th_(ptAxis)
	}
	if L.colRot {
		L.bottom = tick + c.px(3) + maxCol
	} else {
		L.bottom = tick + c.px(2) + lh
	}
	if m.colTitle != "" {
		L.bottom += c.px(4) + c.th_(ptAxis)
	}
	// a horizontal label at the right edge may stick out
	if !L.colRot {
		L.right = maxCol / 2
	}
	return L
}

// draw draws the panel with its data area's top-left corner at x0, y0.
func (m *matPanel) draw(c *canvas, L panelLayout, x0, y0 int) {
	W, H := m.dataW(), m.dataH()
	fx, fy := float64(x0), float64(y0)
	th := c.th
	if m.title != "" {
		if m.titleLeft {
			c.text(fx-L.left, fy-c.px(5), m.title, ptAxis, true, th.fg, 0, 1)
		} else {
			c.text(fx+float64(W)/2, fy-c.px(5), m.title, ptAxis, true, th.fg, 0.5, 1)
		}
	}
	// cells
	cw, ch := ceilDiv(m.cols, m.pool), ceilDiv(m.rows, m.pool)
	idx := make([]uint8, cw*ch)
	var maskedCell []bool
	if m.masked != nil {
		maskedCell = make([]bool, cw*ch)
	}
	span := m.hi - m.lo
	if !(span > 0) {
		span = 1
	}
	if m.pooled != nil {
		for i, v := range m.pooled[:cw*ch] {
			if v != v {
				idx[i] = c.mask
				continue
			}
			idx[i] = m.cmap.Index((float64(v) - m.lo) / span)
		}
	} else if m.pool <= 1 {
		for i, v := range m.vals[:m.rows*m.cols] {
			if m.masked != nil && m.masked[i] {
				idx[i] = c.mask
				maskedCell[i] = true
				continue
			}
			idx[i] = m.cmap.Index((float64(v) - m.lo) / span)
		}
	} else {
		// downsample: each pixel shows the largest value of its k×k block
		k := m.pool
		const none = -math.MaxFloat32
		var best []float32
		{
			best = make([]float32, cw*ch)
			for i := range best {
				best[i] = none
			}
			full := m.cols / k * k
			pool := func(r0, r1 int) {
				if k == 2 && m.masked == nil && m.cols%2 == 0 && (r1-r0)%2 == 0 && r0%2 == 0 {
					// the common case: 2×2 blocks, one write per block
					for r := r0; r < r1; r += 2 {
						b := best[(r/2)*cw : (r/2+1)*cw]
						a := m.vals[r*m.cols : (r+1)*m.cols]
						c := m.vals[(r+1)*m.cols : (r+2)*m.cols]
						a = a[:2*len(b)]
						c = c[:len(a)]
						for j := range b {
							// builtin max: no branches to mispredict on noisy data
							b[j] = max(a[2*j], a[2*j+1], c[2*j], c[2*j+1])
						}
					}
					return
				}
				for r := r0; r < r1; r++ {
					b := best[(r/k)*cw : (r/k+1)*cw]
					row := m.vals[r*m.cols : (r+1)*m.cols]
					if m.masked == nil {
						c0 := 0
						if k == 2 {
							for j := 0; j < full; j += 2 {
								v := row[j]
								if row[j+1] > v {
									v = row[j+1]
								}
								if v > b[c0] {
									b[c0] = v
								}
								c0++
							}
						} else {
							for j := 0; j < full; j += k {
								v := b[c0]
								for _, x := range row[j : j+k] {
									if x > v {
										v = x
									}
								}
								b[c0] = v
								c0++
							}
						}
						for j := full; j < m.cols; j++ {
							if row[j] > b[j/k] {
								b[j/k] = row[j]
							}
						}
						continue
					}
					mrow := m.masked[r*m.cols : (r+1)*m.cols]
					for j, v := range row {
						if !mrow[j] && v > b[j/k] {
							b[j/k] = v
						}
					}
				}
			}
			split := (ch / 2) * k
			if m.rows*m.cols >= 1<<18 && split > 0 && runtime.GOMAXPROCS(0) > 1 {
				done := make(chan struct{})
				go func() { pool(split, m.rows); close(done) }()
				pool(0, split)
				<-done
			} else {
				pool(0, m.rows)
			}
		}
		for i, v := range best {
			if v == none {
				idx[i] = c.mask
				if maskedCell != nil {
					maskedCell[i] = true
				}
				continue
			}
			idx[i] = m.cmap.Index((float64(v) - m.lo) / span)
		}
	}
	c.pg.DrawCells(&raster.Cells{X: x0, Y: y0, W: W, H: H, Cols: cw, Rows: ch, Idx: idx,
		HatchOn: m.masked != nil || m.pooledMasked, Hatch: c.mask, HatchInk: c.hatch})
	// thin separators between large cells
	if m.cell >= 24 && m.pool <= 1 {
		for i := 1; i < m.cols; i++ {
			x := fx + float64(i*m.cell)
			c.pg.Line(x, fy, x, fy+float64(H), 1, th.bg)
		}
		for i := 1; i < m.rows; i++ {
			y := fy + float64(i*m.cell)
			c.pg.Line(fx, y, fx+float64(W), y, 1, th.bg)
		}
	}
	// numbers
	if m.annotate && m.pool <= 1 {
		for r := 0; r < m.rows; r++ {
			for j := 0; j < m.cols; j++ {
				i := r*m.cols + j
				var s string
				var bgc = c.pg.Pal.At(idx[i])
				if m.masked != nil && m.masked[i] {
					s = m.maskText
					bgc = th.mask
				} else if m.logical {
					s = strconv.Itoa(int(m.vals[i]))
				} else {
					s = fmtVal(float64(m.vals[i]), m.decimals)
				}
				if s == "" {
					continue
				}
				c.text(fx+(float64(j)+0.5)*float64(m.cell), fy+(float64(r)+0.5)*float64(m.cell), s, ptAnnot, false, inkOn(bgc), 0.5, 0.5)
			}
		}
	}
	// frame
	c.pg.StrokeRect(fx-1, fy-1, float64(W)+2, float64(H)+2, 1, th.muted)
	// highlight
	if m.highlight >= 0 && m.highlight < m.rows {
		y := fy + float64(m.highlight)*m.span()
		hh := math.Max(m.span(), 1)
		w := math.Max(2, c.px(2))
		c.pg.StrokeRect(fx-w, math.Floor(y)-w, float64(W)+2*w, math.Ceil(hh)+2*w, w, th.accent)
	}
	if m.noTicks {
		if m.rowTitle != "" {
			c.textRot(fx-c.px(4), fy+float64(H)/2, m.rowTitle, ptAxis, th.fg, 1, 0.5)
		}
		if m.colTitle != "" {
			c.text(fx+float64(W)/2, fy+float64(H)+c.px(4), m.colTitle, ptAxis, false, th.fg, 0.5, 0)
		}
		return
	}
	// ticks and labels
	tick := c.px(4)
	maxRow := 0.0
	rowLabel := func(i int) {
		y := fy + (float64(i)+0.5)*m.span()
		c.pg.Line(fx-1-tick, y, fx-1, y, 1, th.muted)
		lab := m.label(m.rowLabels, i)
		col := th.fg
		if i == m.highlight {
			col = th.accent
		}
		c.text(fx-1-tick-c.px(3), y, lab, ptTick, i == m.highlight, col, 1, 0.5)
		if w := c.tw(lab, ptTick, false); w > maxRow {
			maxRow = w
		}
	}
	for i := 0; i < m.rows; i += L.rowStep {
		// the highlighted row's label is always shown; its neighbours give way
		if m.highlight >= 0 && i != m.highlight && absInt(i-m.highlight) < L.rowStep {
			continue
		}
		rowLabel(i)
	}
	if m.highlight >= 0 && m.highlight < m.rows && m.highlight%L.rowStep != 0 {
		rowLabel(m.highlight)
	}
	by := fy + float64(H) + 1
	maxCol := 0.0
	for j := 0; j < m.cols; j += L.colStep {
		x := fx + (float64(j)+0.5)*m.span()
		c.pg.Line(x, by, x, by+tick, 1, th.muted)
		lab := m.label(m.colLabels, j)
		if L.colRot {
			c.textRot(x, by+tick+c.px(3), lab, ptTick, th.fg, 0.5, 0)
			if w := c.tw(lab, ptTick, false); w > maxCol {
				maxCol = w
			}
		} else {
			c.text(x, by+tick+c.px(2), lab, ptTick, false, th.fg, 0.5, 0)
			maxCol = c.th_(ptTick)
		}
	}
	if m.rowTitle != "" {
		c.textRot(fx-L.left, fy+float64(H)/2, m.rowTitle, ptAxis, th.fg, 0, 0.5)
	}
	if m.colTitle != "" {
		c.text(fx+float64(W)/2, fy+float64(H)+L.bottom, m.colTitle, ptAxis, false, th.fg, 0.5, 1)
	}
}

// drawRow draws panels side by side from x, their titles' top at y, gap
// pixels apart; note, if not nil, then writes under each panel (below is
// the y under the row's lowest labels). It returns the x after the last
// panel and below.
func drawRow(c *canvas, panels []*matPanel, x, y, gap float64, note func(m *matPanel, x0 int, below float64)) (right, below float64) {
	Ls := make([]panelLayout, len(panels))
	top, bottom, h := 0.0, 0.0, 0
	for i, m := range panels {
		Ls[i] = m.layout(c)
		top = math.Max(top, Ls[i].top)
		bottom = math.Max(bottom, Ls[i].bottom)
		h = max(h, m.dataH())
	}
	below = y + top + float64(h) + bottom
	for i, m := range panels {
		x0 := int(x + Ls[i].left)
		m.draw(c, Ls[i], x0, int(y+top))
		if note != nil {
			note(m, x0, below)
		}
		w := math.Max(float64(m.dataW())+math.Max(0, Ls[i].right), c.tw(m.title, ptAxis, true)-Ls[i].left)
		x = float64(x0) + w + gap
	}
	return x, below
}

// colorbar draws a vertical colour bar of height h at x, y and returns its
// total width (bar and labels).
func colorbar(c *canvas, x, y float64, h int, mref raster.MapRef, lo, hi float64, label string, draw bool) float64 {
	bw := int(c.px(14))
	if h < 2 {
		h = 2
	}
	lh := c.th_(ptTick)
	n := int(float64(h) / (lh * 2.2))
	if n > 8 {
		n = 8
	}
	ticks, step := niceTicks(lo, hi, n)
	if !(hi > lo) {
		ticks, step = []float64{lo}, 1
		if lo != 0 {
			step = math.Abs(lo) / 10
		}
	}
	maxw := 0.0
	for _, t := range ticks {
		if w := c.tw(fmtTick(t, step), ptTick, false); w > maxw {
			maxw = w
		}
	}
	width := float64(bw) + c.px(4) + c.px(3) + maxw
	if label != "" {
		width += c.px(6) + c.th_(ptAxis)
	}
	if !draw {
		return width
	}
	levels := mref.Levels
	if levels < 1 {
		levels = 1
	}
	idx := make([]uint8, levels)
	for i := range idx {
		idx[i] = uint8(mref.Base + levels - 1 - i)
	}
	ix, iy := int(math.Round(x)), int(math.Round(y))
	c.pg.DrawCells(&raster.Cells{X: ix, Y: iy, W: bw, H: h, Cols: 1, Rows: levels, Idx: idx})
	c.pg.StrokeRect(float64(ix)-1, float64(iy)-1, float64(bw)+2, float64(h)+2, 1, c.th.muted)
	tick := c.px(4)
	for _, t := range ticks {
		f := 0.5
		if hi > lo {
			f = (t - lo) / (hi - lo)
		}
		ty := float64(iy) + float64(h) - f*float64(h)
		ty = math.Min(math.Max(ty, float64(iy)), float64(iy+h))
		c.pg.Line(float64(ix+bw)+1, ty, float64(ix+bw)+1+tick, ty, 1, c.th.muted)
		c.text(float64(ix+bw)+1+tick+c.px(3), ty, fmtTick(t, step), ptTick, false, c.th.fg, 0, 0.5)
	}
	if label != "" {
		c.textRot(x+width, float64(iy)+float64(h)/2, label, ptAxis, c.th.fg, 1, 0.5)
	}
	return width
}
