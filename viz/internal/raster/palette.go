package raster

import (
	"image/color"
)

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
