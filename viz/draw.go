package viz

import (
	"image/color"
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/attnviz/attnviz/viz/internal/raster"
)

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
