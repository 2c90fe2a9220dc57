// Package raster lays out attnviz's static figures and draws them.
//
// A [Page] is a list of drawing operations in pixel coordinates (origin at
// the top left, y downwards, so row 0 of a matrix is at the top), each a
// type of its own: text, rectangles, lines, a [Path] and [Cells]. Matrices
// are Cells: one palette index per cell, drawn as one nearest-neighbour
// image at an integer scale, never one polygon per cell. Text, lines and
// the few curves are drawn once around them. A back end is a painter, with
// one method per type of operation.
//
// Back ends:
//   - PNG (this file): an RGBA canvas (text through x/image/font with cached faces from
//     gonum/plot's embedded Liberation fonts, curves through gg), converted
//     to an 8-bit paletted image and encoded with png.BestSpeed. The cells
//     are blitted straight from their indices, so their colours are exact.
//   - SVG and PDF (vector.go): the same operations through gonum/plot's vg back ends
//     (vgsvg with embedded fonts, vgpdf); each Cells operation becomes one
//     embedded image.
//
// Output is a pure function of the page: no time stamps, no map order.
package raster

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"math"
	"runtime"
	"slices"
	"sync"

	"git.sr.ht/~sbinet/gg"
	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
	pfont "gonum.org/v1/plot/font"
	"gonum.org/v1/plot/font/liberation"
)

// Page is a figure laid out in pixels.
type Page struct {
	W, H int     // size in pixels
	DPI  float64 // resolution: a font of s points is s·DPI/72 pixels
	Bg   color.RGBA
	Pal  *Palette
	ops  []op
}

// NewPage returns an empty page.
func NewPage(w, h int, dpi float64, bg color.RGBA, pal *Palette) *Page {
	if dpi <= 0 {
		dpi = 96
	}
	return &Page{W: w, H: h, DPI: dpi, Bg: bg, Pal: pal}
}

// An op is one drawing operation in page pixels: *textOp, *rectOp, *lineOp,
// *Path or *Cells. Each back end is a painter with one method per kind of
// op; an op calls its own.
type op interface {
	paint(b painter)
	// covers returns the pixels the op may touch (generous boxes; an
	// outline is its four edges, not its inside).
	covers(p *Page) []image.Rectangle
	// moved returns a copy of the op scaled by k, then shifted by dx, dy
	// pixels (Page.Grow, Page.Scaled).
	moved(k float64, dx, dy int) op
}

// painter is a back end: the PNG renderer or the vector (SVG, PDF) one.
type painter interface {
	text(o *textOp)
	rect(o *rectOp)
	line(o *lineOp)
	path(o *Path)
	cells(o *Cells)
}

// textOp places a string with its anchor at x, y.
type textOp struct {
	x, y  float64
	s     string
	style TextStyle
}

// rectOp fills a rectangle, or outlines it inside with a line of width.
type rectOp struct {
	x0, y0, x1, y1 float64
	width          float64
	col            color.RGBA
	fill           bool
}

// lineOp is a straight line.
type lineOp struct {
	x0, y0, x1, y1 float64
	width          float64
	col            color.RGBA
}

// TextStyle describes a piece of text. AX and AY place the anchor point in
// the text's box: 0 = left/top, 0.5 = centre, 1 = right/bottom. Rot90 turns
// the text to read from bottom to top; AX and AY then refer to the turned box.
type TextStyle struct {
	Size  float64 // points
	Bold  bool
	Color color.RGBA
	AX    float64
	AY    float64
	Rot90 bool
}

// Path is a polyline or polygon in page pixels.
type Path struct {
	Pts    [][2]float64
	Close  bool
	Fill   bool
	Stroke bool
	Color  color.RGBA // stroke colour
	FillC  color.RGBA
	Width  float64 // stroke width in pixels
	Dash   []float64
}

// Cells is a matrix drawn as an image: Idx holds Rows×Cols palette indices,
// row-major, row 0 at the top. It fills the pixel rectangle X, Y, W, H; each
// pixel shows the cell under it (nearest neighbour), so an integer multiple
// W = Cols·s draws square, seamless cells. Cells whose index is Hatch (when
// HatchOn) are drawn with diagonal stripes of index HatchInk.
type Cells struct {
	X, Y, W, H int
	Cols, Rows int
	Idx        []uint8
	HatchOn    bool
	Hatch      uint8
	HatchInk   uint8
}

// EachCells calls fn with every Cells drawn on the page, in order (for
// tests that check what a figure drew).
func (p *Page) EachCells(fn func(c *Cells)) {
	for _, o := range p.ops {
		if c, ok := o.(*Cells); ok {
			fn(c)
		}
	}
}

// EachText calls fn with every string placed on the page, in order.
func (p *Page) EachText(fn func(s string)) {
	for _, o := range p.ops {
		if t, ok := o.(*textOp); ok {
			fn(t.s)
		}
	}
}

// Text places a string.
func (p *Page) Text(x, y float64, s string, st TextStyle) {
	if s == "" {
		return
	}
	p.ops = append(p.ops, &textOp{x: x, y: y, s: s, style: st})
}

// FillRect fills a rectangle.
func (p *Page) FillRect(x, y, w, h float64, c color.RGBA) {
	p.ops = append(p.ops, &rectOp{x0: x, y0: y, x1: x + w, y1: y + h, col: c, fill: true})
}

// StrokeRect outlines a rectangle with a line of the given width, drawn
// inside the rectangle.
func (p *Page) StrokeRect(x, y, w, h, width float64, c color.RGBA) {
	p.ops = append(p.ops, &rectOp{x0: x, y0: y, x1: x + w, y1: y + h, col: c, width: width})
}

// Line draws a straight line.
func (p *Page) Line(x0, y0, x1, y1, width float64, c color.RGBA) {
	p.ops = append(p.ops, &lineOp{x0: x0, y0: y0, x1: x1, y1: y1, col: c, width: width})
}

// DrawPath draws a path.
func (p *Page) DrawPath(path *Path) {
	p.ops = append(p.ops, path)
}

// DrawCells draws a matrix.
func (p *Page) DrawCells(c *Cells) {
	if c == nil || c.W <= 0 || c.H <= 0 || c.Cols <= 0 || c.Rows <= 0 || len(c.Idx) < c.Cols*c.Rows {
		return
	}
	p.ops = append(p.ops, c)
}

func (o *textOp) paint(b painter) { b.text(o) }
func (o *rectOp) paint(b painter) { b.rect(o) }
func (o *lineOp) paint(b painter) { b.line(o) }
func (o *Path) paint(b painter)   { b.path(o) }
func (o *Cells) paint(b painter)  { b.cells(o) }

func (o *textOp) covers(p *Page) []image.Rectangle {
	x0, y0, w, h := p.TextBox(o.x, o.y, o.s, o.style)
	return []image.Rectangle{grow(x0, y0, x0+w, y0+h, 3)}
}

func (o *rectOp) covers(*Page) []image.Rectangle {
	if o.fill {
		return []image.Rectangle{irect(o.x0, o.y0, o.x1, o.y1)}
	}
	return o.edges()
}

// edges are the four bands of an outline, as the PNG back end fills them.
func (o *rectOp) edges() []image.Rectangle {
	w := math.Max(1, math.Round(o.width))
	x0, y0, x1, y1 := math.Round(o.x0), math.Round(o.y0), math.Round(o.x1), math.Round(o.y1)
	return []image.Rectangle{irect(x0, y0, x1, y0+w), irect(x0, y1-w, x1, y1),
		irect(x0, y0, x0+w, y1), irect(x1-w, y0, x1, y1)}
}

func (o *lineOp) covers(*Page) []image.Rectangle {
	if r, ok := o.band(); ok {
		return []image.Rectangle{r}
	}
	return []image.Rectangle{grow(o.x0, o.y0, o.x1, o.y1, math.Max(1, math.Round(o.width))/2+2)}
}

// band is the exact pixel band of a horizontal or vertical line, centred
// on it; ok is false for a slanted line.
func (o *lineOp) band() (r image.Rectangle, ok bool) {
	w := math.Max(1, math.Round(o.width))
	if o.y0 == o.y1 {
		y := math.Round(o.y0 - w/2)
		return irect(math.Min(o.x0, o.x1), y, math.Max(o.x0, o.x1), y+w), true
	}
	if o.x0 == o.x1 {
		x := math.Round(o.x0 - w/2)
		return irect(x, math.Min(o.y0, o.y1), x+w, math.Max(o.y0, o.y1)), true
	}
	return image.Rectangle{}, false
}

func (o *Path) covers(*Page) []image.Rectangle {
	if len(o.Pts) == 0 {
		return nil
	}
	x0, y0, x1, y1 := o.Pts[0][0], o.Pts[0][1], o.Pts[0][0], o.Pts[0][1]
	for _, v := range o.Pts {
		x0, y0, x1, y1 = math.Min(x0, v[0]), math.Min(y0, v[1]), math.Max(x1, v[0]), math.Max(y1, v[1])
	}
	return []image.Rectangle{grow(x0, y0, x1, y1, o.Width+2)}
}

func (o *Cells) covers(*Page) []image.Rectangle { return []image.Rectangle{o.rect()} }

func (o *Cells) rect() image.Rectangle { return image.Rect(o.X, o.Y, o.X+o.W, o.Y+o.H) }

// grow is the box of two corners widened by m pixels, outwards to whole pixels.
func grow(x0, y0, x1, y1, m float64) image.Rectangle {
	return image.Rect(int(math.Floor(math.Min(x0, x1)-m)), int(math.Floor(math.Min(y0, y1)-m)),
		int(math.Ceil(math.Max(x0, x1)+m)), int(math.Ceil(math.Max(y0, y1)+m)))
}

func irect(x0, y0, x1, y1 float64) image.Rectangle {
	return image.Rect(int(math.Round(x0)), int(math.Round(y0)), int(math.Round(x1)), int(math.Round(y1)))
}

func (o *textOp) moved(k float64, dx, dy int) op {
	q := *o
	q.x, q.y = o.x*k+float64(dx), o.y*k+float64(dy)
	return &q
}

func (o *rectOp) moved(k float64, dx, dy int) op {
	q := *o
	fx, fy := float64(dx), float64(dy)
	q.x0, q.y0, q.x1, q.y1, q.width = o.x0*k+fx, o.y0*k+fy, o.x1*k+fx, o.y1*k+fy, o.width*k
	return &q
}

func (o *lineOp) moved(k float64, dx, dy int) op {
	q := *o
	fx, fy := float64(dx), float64(dy)
	q.x0, q.y0, q.x1, q.y1, q.width = o.x0*k+fx, o.y0*k+fy, o.x1*k+fx, o.y1*k+fy, o.width*k
	return &q
}

func (o *Path) moved(k float64, dx, dy int) op {
	q := *o
	q.Pts = make([][2]float64, len(o.Pts))
	for j, v := range o.Pts {
		q.Pts[j] = [2]float64{v[0]*k + float64(dx), v[1]*k + float64(dy)}
	}
	q.Width = o.Width * k
	q.Dash = nil
	for _, d := range o.Dash {
		q.Dash = append(q.Dash, d*k)
	}
	return &q
}

func (o *Cells) moved(k float64, dx, dy int) op {
	q := *o
	s := int(k)
	q.X, q.Y, q.W, q.H = o.X*s+dx, o.Y*s+dy, o.W*s, o.H*s
	return &q
}

// Px converts points to pixels on this page.
func (p *Page) Px(pt float64) float64 { return pt * p.DPI / 72 }

// ---- fonts

var (
	fontsOnce        sync.Once
	regular, boldFnt *opentype.Font
	faceMu           sync.Mutex
	faces            = map[faceKey]font.Face{}
)

type faceKey struct {
	bold      bool
	size, dpi float64
}

func loadFonts() {
	fontsOnce.Do(func() {
		for _, f := range liberation.Collection() {
			if f.Font.Typeface == "Liberation" && f.Font.Variant == "Sans" && f.Font.Style == 0 {
				if f.Font.Weight == font.WeightBold {
					boldFnt = f.Face
				} else if f.Font.Weight == font.WeightNormal {
					regular = f.Face
				}
			}
		}
	})
}

// gonumFont returns the gonum/plot font description for vector back ends.
func gonumFont(bold bool, size float64) pfont.Face {
	loadFonts()
	fn := pfont.Font{Typeface: "Liberation", Variant: "Sans", Size: pfont.Points(size)}
	f := regular
	if bold {
		fn.Weight = font.WeightBold
		f = boldFnt
	}
	return pfont.Face{Font: fn, Face: f}
}

func face(bold bool, size, dpi float64) font.Face {
	loadFonts()
	k := faceKey{bold, size, dpi}
	faceMu.Lock()
	defer faceMu.Unlock()
	if f, ok := faces[k]; ok {
		return f
	}
	src := regular
	if bold {
		src = boldFnt
	}
	f, err := opentype.NewFace(src, &opentype.FaceOptions{Size: size, DPI: dpi, Hinting: font.HintingNone})
	if err != nil {
		return nil
	}
	faces[k] = f
	return f
}

// metrics in pixels: ascent, descent.
func (p *Page) metrics(bold bool, size float64) (asc, desc float64) {
	f := face(bold, size, p.DPI)
	if f == nil {
		return size, size / 4
	}
	faceMu.Lock()
	m := f.Metrics()
	faceMu.Unlock()
	return float64(m.Ascent) / 64, float64(m.Descent) / 64
}

// TextWidth returns the width of s in pixels: the glyphs' advances and
// the kerning between them, as textMask places them.
func (p *Page) TextWidth(s string, size float64, bold bool) float64 {
	f := face(bold, size, p.DPI)
	if f == nil {
		return float64(len(s)) * size * p.DPI / 72 * 0.6
	}
	return float64(place(faceKey{bold, size, p.DPI}, f, s, nil)) / 64
}

// ---- kerning

type kernKey struct {
	f      faceKey
	r0, r1 rune
}

var (
	kernMu  sync.Mutex
	kernBuf sfnt.Buffer
	kerns   = map[kernKey]fixed.Int26_6{}
)

// kern returns the kerning between r0 and r1 in 26.6 pixels at the face's
// size. x/image's opentype.Face.Kern cannot be used: it asks the font for
// the pair at a size of one pixel per font unit (golang/go#46727), so it
// returns the same −2.4 px for "11" at every size and DPI, which at 96 dpi
// pulled the second 1 of "11", "0.11", "111" onto the first ("1ı").
//
// Two digits are not kerned: numbers are set in tabular figures, as in
// tables, so that the digits of numbers in a column line up.
func kern(fk faceKey, r0, r1 rune) fixed.Int26_6 {
	if isDigit(r0) && isDigit(r1) {
		return 0
	}
	k := kernKey{fk, r0, r1}
	kernMu.Lock()
	defer kernMu.Unlock()
	if v, ok := kerns[k]; ok {
		return v
	}
	loadFonts()
	src := regular
	if fk.bold {
		src = boldFnt
	}
	var v fixed.Int26_6
	if src != nil {
		ppem := fixed.Int26_6(math.Round(fk.size * fk.dpi / 72 * 64))
		g0, err0 := src.GlyphIndex(&kernBuf, r0)
		g1, err1 := src.GlyphIndex(&kernBuf, r1)
		if err0 == nil && err1 == nil && g0 != 0 && g1 != 0 {
			if kv, err := src.Kern(&kernBuf, g0, g1, ppem, font.HintingNone); err == nil {
				v = kv
			}
		}
	}
	kerns[k] = v
	return v
}

// TextHeight returns the height of a line of text (ascent + descent) in pixels.
func (p *Page) TextHeight(size float64, bold bool) float64 {
	a, d := p.metrics(bold, size)
	return math.Ceil(a + d)
}

// TextBox returns the box (in page pixels) a text op with the given anchor
// covers.
func (p *Page) TextBox(x, y float64, s string, st TextStyle) (x0, y0, w, h float64) {
	tw := p.TextWidth(s, st.Size, st.Bold)
	th := p.TextHeight(st.Size, st.Bold)
	if st.Rot90 {
		tw, th = th, tw
	}
	return x - st.AX*tw, y - st.AY*th, tw, th
}

// ResetLastText moves the anchor of the last text operation.
func (p *Page) ResetLastText(x, y float64) {
	for i := len(p.ops) - 1; i >= 0; i-- {
		if t, ok := p.ops[i].(*textOp); ok {
			t.x, t.y = x, y
			return
		}
	}
}

// Grow enlarges the page to at least w×h pixels, centring what is drawn.
func (p *Page) Grow(w, h int) {
	dx, dy := 0, 0
	if w > p.W {
		dx = (w - p.W) / 2
		p.W = w
	}
	if h > p.H {
		dy = (h - p.H) / 2
		p.H = h
	}
	if dx == 0 && dy == 0 {
		return
	}
	for i, o := range p.ops {
		p.ops[i] = o.moved(1, dx, dy)
	}
}

// Scaled returns a copy of the page k times larger in pixels (and DPI).
func (p *Page) Scaled(k int) *Page {
	q := &Page{W: p.W * k, H: p.H * k, DPI: p.DPI * float64(k), Bg: p.Bg, Pal: p.Pal}
	q.ops = make([]op, len(p.ops))
	for i, o := range p.ops {
		q.ops[i] = o.moved(float64(k), 0, 0)
	}
	return q
}

// ---- palette

// Palette is the ≤256-colour palette of one page: colour-map ramps for the
// cells, named colours (background, text, accents) and a ramp of blends
// between the text and background colours for anti-aliased text.
type Palette struct {
	cols []color.RGBA
}

// MapRef is a colour map's ramp inside a palette: Levels indices from Base.
type MapRef struct {
	Base, Levels int
}

// Index returns the palette index of the value t in [0, 1].
func (m MapRef) Index(t float64) uint8 {
	if !(t > 0) { // also NaN
		return uint8(m.Base)
	}
	if t >= 1 {
		return uint8(m.Base + m.Levels - 1)
	}
	return uint8(m.Base + int(t*float64(m.Levels)))
}

// Len is the number of colours so far.
func (p *Palette) Len() int { return len(p.cols) }

// AddMap adds levels samples of the colour map f (t in [0,1]) and returns
// their place. It returns a zero MapRef when the palette is full.
func (p *Palette) AddMap(f func(t float64) color.RGBA, levels int) MapRef {
	if levels < 2 {
		levels = 2
	}
	if len(p.cols)+levels > 256 {
		levels = 256 - len(p.cols)
		if levels < 2 {
			return MapRef{Base: 0, Levels: 1}
		}
	}
	base := len(p.cols)
	for i := 0; i < levels; i++ {
		p.cols = append(p.cols, f(float64(i)/float64(levels-1)))
	}
	return MapRef{Base: base, Levels: levels}
}

// Add adds a colour (or finds it) and returns its index.
func (p *Palette) Add(c color.RGBA) uint8 {
	c.A = 255
	for i, x := range p.cols {
		if x == c {
			return uint8(i)
		}
	}
	if len(p.cols) >= 256 {
		return p.nearest(c)
	}
	p.cols = append(p.cols, c)
	return uint8(len(p.cols) - 1)
}

// AddBlends adds n blends from a to b (excluding both ends).
func (p *Palette) AddBlends(a, b color.RGBA, n int) {
	for i := 1; i <= n; i++ {
		t := float64(i) / float64(n+1)
		p.Add(Blend(a, b, t))
	}
}

// Blend mixes a and b: t=0 gives a, t=1 gives b.
func Blend(a, b color.RGBA, t float64) color.RGBA {
	m := func(x, y uint8) uint8 { return uint8(float64(x)*(1-t) + float64(y)*t + 0.5) }
	return color.RGBA{m(a.R, b.R), m(a.G, b.G), m(a.B, b.B), 255}
}

// Colors returns the palette as a color.Palette.
func (p *Palette) Colors() color.Palette {
	out := make(color.Palette, len(p.cols))
	for i, c := range p.cols {
		out[i] = c
	}
	return out
}

// At returns colour i.
func (p *Palette) At(i uint8) color.RGBA {
	if int(i) < len(p.cols) {
		return p.cols[i]
	}
	return color.RGBA{A: 255}
}

func (p *Palette) nearest(c color.RGBA) uint8 {
	best, bd := 0, int(^uint(0)>>1)
	for i, x := range p.cols {
		dr := int(x.R) - int(c.R)
		dg := int(x.G) - int(c.G)
		db := int(x.B) - int(c.B)
		d := 2*dr*dr + 4*dg*dg + 3*db*db
		if d < bd {
			best, bd = i, d
		}
	}
	return uint8(best)
}

// ---- PNG: glyph cache (faces from opentype rasterize every call; labels repeat)

type glyphKey struct {
	f faceKey
	r rune
}

type glyph struct {
	mask       *image.Alpha // nil for blank glyphs
	off        image.Point  // top-left of the mask relative to the dot
	advance    fixed.Int26_6
	ink        bool // some pixel has at least inkAlpha coverage
	inkL, inkR int  // its first and last such column, relative to the dot
}

var (
	glyphMu sync.Mutex
	glyphs  = map[glyphKey]*glyph{}
)

func getGlyph(fk faceKey, f font.Face, r rune) *glyph {
	k := glyphKey{fk, r}
	glyphMu.Lock()
	defer glyphMu.Unlock()
	if g, ok := glyphs[k]; ok {
		return g
	}
	faceMu.Lock()
	dr, mask, mp, adv, ok := f.Glyph(fixed.Point26_6{}, r)
	g := &glyph{advance: adv}
	if ok && !dr.Empty() {
		a := image.NewAlpha(image.Rect(0, 0, dr.Dx(), dr.Dy()))
		draw.Draw(a, a.Bounds(), mask, mp, draw.Src)
		g.mask = a
		g.off = dr.Min
		g.inkL, g.inkR = -1, -1
		for x := 0; x < a.Rect.Dx(); x++ {
			for y := 0; y < a.Rect.Dy(); y++ {
				if a.Pix[y*a.Stride+x] >= inkAlpha {
					if g.inkL < 0 {
						g.inkL = x + g.off.X
					}
					g.inkR = x + g.off.X
					break
				}
			}
		}
		g.ink = g.inkL >= 0
	}
	faceMu.Unlock()
	glyphs[k] = g
	return g
}

// textMask renders s into an alpha mask w×h with the baseline at asc.
func (p *Page) textMask(s string, st TextStyle) (*image.Alpha, float64) {
	fk := faceKey{st.Bold, st.Size, p.DPI}
	f := face(st.Bold, st.Size, p.DPI)
	if f == nil {
		return nil, 0
	}
	asc, desc := p.metrics(st.Bold, st.Size)
	w := int(math.Ceil(p.TextWidth(s, st.Size, st.Bold))) + 2
	h := int(math.Ceil(asc + desc))
	if w <= 0 || h <= 0 {
		return nil, 0
	}
	m := image.NewAlpha(image.Rect(0, 0, w, h))
	base := int(math.Round(asc))
	place(fk, f, s, func(g *glyph, x int) {
		rect := g.mask.Bounds().Add(image.Pt(x+g.off.X, base+g.off.Y))
		draw.DrawMask(m, rect, image.Opaque, image.Point{}, g.mask, image.Point{}, draw.Over)
	})
	return m, asc
}

func rot90(m *image.Alpha) *image.Alpha {
	b := m.Bounds()
	w, h := b.Dx(), b.Dy()
	r := image.NewAlpha(image.Rect(0, 0, h, w))
	for y := 0; y < h; y++ {
		row := m.Pix[y*m.Stride : y*m.Stride+w]
		for x, a := range row {
			if a != 0 {
				// text x runs upwards; text y (down) runs right.
				r.Pix[(w-1-x)*r.Stride+y] = a
			}
		}
	}
	return r
}

// ---- rendering

type pngRenderer struct {
	p     *Page
	img   *image.RGBA
	out   *image.Paletted
	pal   []uint32
	index map[uint32]uint8
	ctx   *gg.Context

	isClean []bool            // per op: a cells op nothing is drawn over
	clean   []image.Rectangle // their rectangles, skipped by convert
}

func pack(c color.RGBA) uint32 {
	return uint32(c.R) | uint32(c.G)<<8 | uint32(c.B)<<16 | uint32(c.A)<<24
}

// Image renders the page to an 8-bit paletted image.
func (p *Page) Image() *image.Paletted {
	if p.Pal == nil {
		p.Pal = &Palette{}
	}
	bgIdx := p.Pal.Add(p.Bg)
	pal := p.Pal.Colors()
	r := &pngRenderer{p: p, index: map[uint32]uint8{}}
	r.img = getRGBA(p.W, p.H)
	defer putRGBA(r.img)
	r.out = image.NewPaletted(r.img.Rect, pal)
	r.pal = make([]uint32, 256)
	for i, c := range p.Pal.cols {
		r.pal[i] = pack(c)
		if _, ok := r.index[r.pal[i]]; !ok {
			r.index[r.pal[i]] = uint8(i)
		}
	}
	fillRGBA(r.img, r.img.Rect, p.Bg)
	if bgIdx != 0 {
		for i := range r.out.Pix {
			r.out.Pix[i] = bgIdx
		}
	}
	r.findClean()
	for i, o := range p.ops {
		if c, ok := o.(*Cells); ok && r.isClean[i] {
			r.cellsIndexOnly(c)
			continue
		}
		o.paint(r)
	}
	r.convert()
	return r.out
}

// findClean marks the cells operations that no later operation draws over:
// their pixels go straight into the paletted image, never through the RGBA
// canvas, and the conversion skips them.
func (r *pngRenderer) findClean() {
	ops := r.p.ops
	r.isClean = make([]bool, len(ops))
	// what is drawn after each point, scanned backwards
	var later []image.Rectangle
	for i := len(ops) - 1; i >= 0; i-- {
		if c, ok := ops[i].(*Cells); ok {
			rect := c.rect().Intersect(r.img.Rect)
			clean := !rect.Empty()
			for _, b := range later {
				if b.Overlaps(rect) {
					clean = false
					break
				}
			}
			if clean {
				r.isClean[i] = true
				r.clean = append(r.clean, rect)
			}
		}
		later = append(later, ops[i].covers(r.p)...)
	}
}

// cellsIndexOnly writes a clean cells operation's indices.
func (r *pngRenderer) cellsIndexOnly(c *Cells) {
	img := c.render(r.p.Pal)
	clip := image.Rect(c.X, c.Y, c.X+c.W, c.Y+c.H).Intersect(r.img.Rect)
	for y := clip.Min.Y; y < clip.Max.Y; y++ {
		src := img.Pix[(y-c.Y)*img.Stride+(clip.Min.X-c.X) : (y-c.Y)*img.Stride+(clip.Max.X-c.X)]
		copy(r.out.Pix[y*r.out.Stride+clip.Min.X:], src)
	}
}

// PNG renders the page and encodes it.
func (p *Page) PNG() ([]byte, error) {
	img := p.Image()
	var buf bytes.Buffer
	buf.Grow(len(img.Pix)/4 + 1024)
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func fillRGBA(img *image.RGBA, r image.Rectangle, c color.RGBA) {
	r = r.Intersect(img.Rect)
	if r.Empty() {
		return
	}
	v := pack(c)
	w := r.Dx()
	first := img.Pix[img.PixOffset(r.Min.X, r.Min.Y):]
	for x := 0; x < w; x++ {
		binary.LittleEndian.PutUint32(first[4*x:], v)
	}
	row := first[:4*w]
	for y := r.Min.Y + 1; y < r.Max.Y; y++ {
		copy(img.Pix[img.PixOffset(r.Min.X, y):], row)
	}
}

func (r *pngRenderer) fill(rect image.Rectangle, c color.RGBA) {
	rect = rect.Intersect(r.img.Rect)
	if rect.Empty() {
		return
	}
	fillRGBA(r.img, rect, c)
	if idx, ok := r.index[pack(c)]; ok {
		for y := rect.Min.Y; y < rect.Max.Y; y++ {
			row := r.out.Pix[y*r.out.Stride+rect.Min.X : y*r.out.Stride+rect.Max.X]
			for i := range row {
				row[i] = idx
			}
		}
	}
}

func (r *pngRenderer) gg() *gg.Context {
	if r.ctx == nil {
		r.ctx = gg.NewContextForRGBA(r.img)
		r.ctx.SetLineCapButt()
	}
	return r.ctx
}

func (r *pngRenderer) rect(o *rectOp) {
	if o.fill {
		r.fill(irect(o.x0, o.y0, o.x1, o.y1), o.col)
		return
	}
	for _, e := range o.edges() {
		r.fill(e, o.col)
	}
}

// line fills horizontal and vertical lines exactly; gg draws the rest.
func (r *pngRenderer) line(o *lineOp) {
	if band, ok := o.band(); ok {
		r.fill(band, o.col)
		return
	}
	c := r.gg()
	c.SetColor(o.col)
	c.SetLineWidth(o.width)
	c.MoveTo(o.x0, o.y0)
	c.LineTo(o.x1, o.y1)
	c.Stroke()
}

func (r *pngRenderer) path(pa *Path) {
	if len(pa.Pts) == 0 {
		return
	}
	c := r.gg()
	c.NewSubPath()
	c.MoveTo(pa.Pts[0][0], pa.Pts[0][1])
	for _, q := range pa.Pts[1:] {
		c.LineTo(q[0], q[1])
	}
	if pa.Close {
		c.ClosePath()
	}
	if pa.Fill {
		c.SetColor(pa.FillC)
		if pa.Stroke {
			c.FillPreserve()
		} else {
			c.Fill()
		}
	}
	if pa.Stroke {
		c.SetColor(pa.Color)
		c.SetLineWidth(pa.Width)
		if len(pa.Dash) > 0 {
			c.SetDash(pa.Dash...)
		}
		c.Stroke()
		c.SetDash()
	}
	c.ClearPath()
}

func (r *pngRenderer) text(o *textOp) {
	m, _ := r.p.textMask(o.s, o.style)
	if m == nil {
		return
	}
	st := o.style
	tw, th := float64(m.Rect.Dx()-2), float64(m.Rect.Dy())
	if st.Rot90 {
		m = rot90(m)
		tw, th = th, tw
	}
	x0 := int(math.Round(o.x - st.AX*tw))
	y0 := int(math.Round(o.y - st.AY*th))
	rect := m.Bounds().Add(image.Pt(x0, y0))
	draw.DrawMask(r.img, rect, image.NewUniform(st.Color), image.Point{}, m, image.Point{}, draw.Over)
}

// cells blits a matrix: colours into the RGBA canvas and indices into the
// paletted output, so the conversion keeps them exactly.
func (r *pngRenderer) cells(c *Cells) {
	img := c.render(r.p.Pal)
	rect := image.Rect(c.X, c.Y, c.X+c.W, c.Y+c.H)
	clip := rect.Intersect(r.img.Rect)
	if clip.Empty() {
		return
	}
	for y := clip.Min.Y; y < clip.Max.Y; y++ {
		src := img.Pix[(y-c.Y)*img.Stride+(clip.Min.X-c.X) : (y-c.Y)*img.Stride+(clip.Max.X-c.X)]
		copy(r.out.Pix[y*r.out.Stride+clip.Min.X:], src)
		dst := r.img.Pix[r.img.PixOffset(clip.Min.X, y):]
		for i, idx := range src {
			binary.LittleEndian.PutUint32(dst[4*i:], r.pal[idx])
		}
	}
}

// render draws the cells into a paletted image of W×H pixels.
func (c *Cells) render(pal *Palette) *image.Paletted {
	img := image.NewPaletted(image.Rect(0, 0, c.W, c.H), pal.Colors())
	colOf := make([]int, c.W)
	for x := range colOf {
		colOf[x] = x * c.Cols / c.W
	}
	for y := 0; y < c.H; y++ {
		ry := y * c.Rows / c.H
		src := c.Idx[ry*c.Cols : (ry+1)*c.Cols]
		row := img.Pix[y*img.Stride : y*img.Stride+c.W]
		if c.W == c.Cols {
			copy(row, src)
		} else {
			s := c.W / c.Cols
			if s*c.Cols == c.W {
				for i, v := range src {
					seg := row[i*s : i*s+s]
					for j := range seg {
						seg[j] = v
					}
				}
			} else {
				for x := range row {
					row[x] = src[colOf[x]]
				}
			}
		}
		if c.HatchOn {
			for x := range row {
				if row[x] == c.Hatch && ((x+c.X)+(y+c.Y))%7 < 2 {
					row[x] = c.HatchInk
				}
			}
		}
	}
	return img
}

// rgbaPool recycles canvases: every figure needs one, and allocating (and
// zeroing) megabytes per figure shows in the benchmarks.
var rgbaPool sync.Pool

func getRGBA(w, h int) *image.RGBA {
	n := 4 * w * h
	if b, ok := rgbaPool.Get().(*[]byte); ok && cap(*b) >= n {
		return &image.RGBA{Pix: (*b)[:n], Stride: 4 * w, Rect: image.Rect(0, 0, w, h)}
	}
	return image.NewRGBA(image.Rect(0, 0, w, h))
}

func putRGBA(img *image.RGBA) {
	b := img.Pix[:0]
	if cap(b) <= 64<<20 {
		rgbaPool.Put(&b)
	}
}

// convert maps the RGBA canvas onto the palette. A pixel that still has the
// colour of the index already written for it (background, cells, fills)
// keeps that index; the rest (text, lines, anti-aliasing) take the nearest
// palette colour, cached per distinct colour.
func (r *pngRenderer) convert() {
	h := r.img.Rect.Dy()
	if len(r.out.Pix) < 1<<18 || runtime.GOMAXPROCS(0) < 2 {
		r.convertRows(0, h, r.index)
		return
	}
	half := h / 2
	other := make(map[uint32]uint8, len(r.index))
	for k, v := range r.index {
		other[k] = v
	}
	done := make(chan struct{})
	go func() {
		r.convertRows(half, h, other)
		close(done)
	}()
	r.convertRows(0, half, r.index)
	<-done
}

func (r *pngRenderer) convertRows(y0, y1 int, cache map[uint32]uint8) {
	w := r.img.Rect.Dx()
	var skip [][2]int
	for y := y0; y < y1; y++ {
		skip = skip[:0]
		for _, c := range r.clean {
			if y >= c.Min.Y && y < c.Max.Y {
				skip = append(skip, [2]int{c.Min.X, c.Max.X})
			}
		}
		if len(skip) == 0 {
			r.convertSpan(y*w, (y+1)*w, cache)
			continue
		}
		slices.SortFunc(skip, func(a, b [2]int) int { return a[0] - b[0] })
		x := 0
		for _, s := range skip {
			if s[0] > x {
				r.convertSpan(y*w+x, y*w+s[0], cache)
			}
			if s[1] > x {
				x = s[1]
			}
		}
		if x < w {
			r.convertSpan(y*w+x, (y+1)*w, cache)
		}
	}
}

func (r *pngRenderer) convertSpan(lo, hi int, cache map[uint32]uint8) {
	pix := r.img.Pix[4*lo : 4*hi]
	out := r.out.Pix[lo:hi]
	pal := r.pal
	lastC, lastI := uint32(0), uint8(0)
	haveLast := false
	for i := range out {
		c := binary.LittleEndian.Uint32(pix[4*i:])
		if pal[out[i]] == c {
			continue
		}
		if haveLast && c == lastC {
			out[i] = lastI
			continue
		}
		idx, ok := cache[c]
		if !ok {
			idx = r.p.Pal.nearest(color.RGBA{uint8(c), uint8(c >> 8), uint8(c >> 16), 255})
			cache[c] = idx
		}
		out[i] = idx
		lastC, lastI, haveLast = c, idx, true
	}
}

func isDigit(r rune) bool { return r >= '0' && r <= '9' }

// numeric runes are those of numbers: place keeps a clear column between
// two of them.
func numeric(r rune) bool { return isDigit(r) || r == '.' || r == ',' }

// inkAlpha: a glyph's ink is its pixels of at least this coverage. Two
// faint edges (< 25 %) on one pixel stay under half coverage, so a column
// between two glyphs' inks stays visibly clear.
const inkAlpha = 64

// place lays s out with integer pixel positions, as the PNG draws it,
// calling draw (when not nil) with each inked glyph and the pixel x of its
// dot; it returns the advance of the whole string. Between two numeric
// runes it keeps at least one clear pixel column: at small sizes the foot
// of Liberation Sans's "1" otherwise runs into the next digit and "11"
// reads as one wide glyph.
func place(fk faceKey, f font.Face, s string, draw func(g *glyph, x int)) fixed.Int26_6 {
	var dot fixed.Int26_6
	prev := rune(-1)
	prevInk, prevInkR := false, 0
	for _, r := range s {
		if prev >= 0 {
			dot += kern(fk, prev, r)
		}
		g := getGlyph(fk, f, r)
		x := dot.Round()
		if g.ink && prevInk && numeric(prev) && numeric(r) {
			if gap := x + g.inkL - prevInkR - 1; gap < 1 {
				dot += fixed.I(1 - gap)
				x += 1 - gap
			}
		}
		if draw != nil && g.mask != nil {
			draw(g, x)
		}
		prevInk = g.ink
		if g.ink {
			prevInkR = x + g.inkR
		}
		dot += g.advance
		prev = r
	}
	return dot
}

// Texts returns the strings the page writes, in drawing order (for tests
// and for describing a figure in words).
func (p *Page) Texts() []string {
	var out []string
	for _, o := range p.ops {
		if t, ok := o.(*textOp); ok {
			out = append(out, t.s)
		}
	}
	return out
}

// CellRects returns the pixel rectangles of the page's matrices (Cells)
// of at least minCols columns.
func (p *Page) CellRects(minCols int) []image.Rectangle {
	var out []image.Rectangle
	for _, o := range p.ops {
		if c, ok := o.(*Cells); ok && c.Cols >= minCols {
			out = append(out, c.rect())
		}
	}
	return out
}
