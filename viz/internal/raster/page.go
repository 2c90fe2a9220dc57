// Package raster lays out attnviz's static figures and draws them.
//
// A [Page] is a list of drawing operations in pixel coordinates (origin at
// the top left, y downwards, so row 0 of a matrix is at the top). Matrices
// are [Cells] operations: one palette index per cell, drawn as one
// nearest-neighbour image at an integer scale, never one polygon per cell.
// Text, lines and the few curves are drawn once around them.
//
// Back ends:
//   - PNG: an RGBA canvas (text through x/image/font with cached faces from
//     gonum/plot's embedded Liberation fonts, curves through gg), converted
//     to an 8-bit paletted image and encoded with png.BestSpeed. The cells
//     are blitted straight from their indices, so their colours are exact.
//   - SVG and PDF: the same operations through gonum/plot's vg back ends
//     (vgsvg with embedded fonts, vgpdf); each Cells operation becomes one
//     embedded image.
//
// Output is a pure function of the page: no time stamps, no map order.
package raster

import (
	"image/color"
	"math"
	"sync"

	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
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

type opKind uint8

const (
	opText opKind = iota
	opRect
	opLine
	opPath
	opCells
)

type op struct {
	kind  opKind
	text  string
	x, y  float64
	x1    float64
	y1    float64
	style TextStyle
	col   color.RGBA
	width float64
	fill  bool
	path  *Path
	cells *Cells
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

// Text places a string.
func (p *Page) Text(x, y float64, s string, st TextStyle) {
	if s == "" {
		return
	}
	p.ops = append(p.ops, op{kind: opText, text: s, x: x, y: y, style: st})
}

// FillRect fills a rectangle.
func (p *Page) FillRect(x, y, w, h float64, c color.RGBA) {
	p.ops = append(p.ops, op{kind: opRect, x: x, y: y, x1: x + w, y1: y + h, col: c, fill: true})
}

// StrokeRect outlines a rectangle with a line of the given width, drawn
// inside the rectangle.
func (p *Page) StrokeRect(x, y, w, h, width float64, c color.RGBA) {
	p.ops = append(p.ops, op{kind: opRect, x: x, y: y, x1: x + w, y1: y + h, col: c, width: width})
}

// Line draws a straight line.
func (p *Page) Line(x0, y0, x1, y1, width float64, c color.RGBA) {
	p.ops = append(p.ops, op{kind: opLine, x: x0, y: y0, x1: x1, y1: y1, col: c, width: width})
}

// DrawPath draws a path.
func (p *Page) DrawPath(path *Path) {
	p.ops = append(p.ops, op{kind: opPath, path: path})
}

// DrawCells draws a matrix.
func (p *Page) DrawCells(c *Cells) {
	if c == nil || c.W <= 0 || c.H <= 0 || c.Cols <= 0 || c.Rows <= 0 || len(c.Idx) < c.Cols*c.Rows {
		return
	}
	p.ops = append(p.ops, op{kind: opCells, cells: c})
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

// TextWidth returns the width of s in pixels.
func (p *Page) TextWidth(s string, size float64, bold bool) float64 {
	f := face(bold, size, p.DPI)
	if f == nil {
		return float64(len(s)) * size * p.DPI / 72 * 0.6
	}
	faceMu.Lock()
	defer faceMu.Unlock()
	return float64(font.MeasureString(f, s)) / 64
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
		if p.ops[i].kind == opText {
			p.ops[i].x, p.ops[i].y = x, y
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
	fx, fy := float64(dx), float64(dy)
	for i := range p.ops {
		o := &p.ops[i]
		o.x, o.y, o.x1, o.y1 = o.x+fx, o.y+fy, o.x1+fx, o.y1+fy
		if o.path != nil {
			pa := *o.path
			pa.Pts = make([][2]float64, len(o.path.Pts))
			for j, v := range o.path.Pts {
				pa.Pts[j] = [2]float64{v[0] + fx, v[1] + fy}
			}
			o.path = &pa
		}
		if o.cells != nil {
			cl := *o.cells
			cl.X, cl.Y = cl.X+dx, cl.Y+dy
			o.cells = &cl
		}
	}
}
