package viz

import (
	"image/color"
	"math"
	"strconv"
)

// barChart is a bar chart with a y axis on the left.
type barChart struct {
	vals     []float64
	colors   []color.RGBA // per bar (cycled); nil: theme accent
	masked   []bool       // bars drawn as a grey "blocked" marker
	maskText string       // written on blocked bars (default "−∞")
	lo, hi   float64
	labels   []string // one per bar, or nil
	groups   []barGroup
	title    string
	yLabel   string
	barW     float64 // bar width in pixels
	gap      float64
	plotH    float64
	hline    *float64 // a reference line (e.g. 0)
}

type barGroup struct {
	label      string
	start, end int // bars [start, end)
}

type barLayout struct {
	left, top, bottom float64
	step              int
	rot               bool
}

func (b *barChart) layout(c *canvas) barLayout {
	var L barLayout
	lh := c.th_(ptTick)
	ticks, step := niceTicks(b.lo, b.hi, 4)
	maxw := 0.0
	for _, t := range ticks {
		maxw = math.Max(maxw, c.tw(fmtTick(t, step), ptTick, false))
	}
	L.left = maxw + c.px(8)
	if b.yLabel != "" {
		L.left += c.th_(ptAxis) + c.px(4)
	}
	if b.title != "" {
		L.top = c.th_(ptAxis) + c.px(6)
	}
	pitch := b.barW + b.gap
	if b.labels != nil {
		maxl := 0.0
		for _, s := range b.labels {
			maxl = math.Max(maxl, c.tw(s, ptTick, false))
		}
		L.step = labelStep(len(b.labels), pitch, maxl+c.px(4))
		if L.step > 1 {
			L.rot = true
			L.step = labelStep(len(b.labels), pitch, lh*1.1)
			maxl = 0
			for i := 0; i < len(b.labels); i += L.step {
				maxl = math.Max(maxl, c.tw(b.labels[i], ptTick, false))
			}
			L.bottom = c.px(6) + maxl
		} else {
			L.bottom = c.px(4) + lh
		}
	}
	if b.groups != nil {
		L.bottom += c.px(4) + lh
	}
	return L
}

func (b *barChart) width() float64 {
	return float64(len(b.vals))*(b.barW+b.gap) + b.gap
}

func (b *barChart) draw(c *canvas, L barLayout, x0, y0 float64) {
	th := c.th
	W := b.width()
	H := b.plotH
	span := b.hi - b.lo
	if !(span > 0) {
		span = 1
	}
	yOf := func(v float64) float64 {
		v = math.Max(b.lo, math.Min(b.hi, v))
		return y0 + H - (v-b.lo)/span*H
	}
	if b.title != "" {
		c.text(x0-L.left, y0-c.px(5), b.title, ptAxis, true, th.fg, 0, 1)
	}
	ticks, step := niceTicks(b.lo, b.hi, 4)
	for _, t := range ticks {
		y := math.Round(yOf(t))
		c.pg.Line(x0, y, x0+W, y, 1, th.grid)
		c.pg.Line(x0-c.px(4), y, x0, y, 1, th.muted)
		c.text(x0-c.px(6), y, fmtTick(t, step), ptTick, false, th.fg, 1, 0.5)
	}
	base := yOf(math.Max(b.lo, math.Min(b.hi, 0)))
	for i, v := range b.vals {
		x := x0 + b.gap + float64(i)*(b.barW+b.gap)
		if b.masked != nil && b.masked[i] {
			c.pg.FillRect(math.Round(x), y0, math.Max(1, math.Round(b.barW)), H, th.mask)
			mt := b.maskText
			if mt == "" {
				mt = "−∞"
			}
			c.text(x+b.barW/2, y0+c.px(2), mt, ptAnnot, false, th.muted, 0.5, 0)
			continue
		}
		col := th.accent
		if len(b.colors) > 0 {
			col = b.colors[i%len(b.colors)]
		}
		y := yOf(v)
		top, bot := math.Min(y, base), math.Max(y, base)
		if bot-top < 1 && v != 0 {
			bot = top + 1
		}
		c.pg.FillRect(math.Round(x), math.Round(top), math.Max(1, math.Round(b.barW)), math.Round(bot)-math.Round(top), col)
	}
	if b.hline != nil {
		y := math.Round(yOf(*b.hline))
		c.pg.Line(x0, y, x0+W, y, 1, th.fg)
	}
	c.pg.Line(x0, y0, x0, y0+H, 1, th.muted)
	c.pg.Line(x0, y0+H, x0+W, y0+H, 1, th.muted)
	ly := y0 + H + c.px(3)
	if b.labels != nil {
		for i := 0; i < len(b.labels); i += L.step {
			x := x0 + b.gap + (float64(i)+0.5)*(b.barW+b.gap) - b.gap/2
			if L.rot {
				c.textRot(x, ly+c.px(2), b.labels[i], ptTick, th.fg, 0.5, 0)
			} else {
				c.text(x, ly, b.labels[i], ptTick, false, th.fg, 0.5, 0)
			}
		}
		ly = y0 + H + L.bottom
		if b.groups != nil {
			ly -= c.px(4) + c.th_(ptTick)
		}
	}
	for gi, g := range b.groups {
		xs := x0 + float64(g.start)*(b.barW+b.gap)
		xe := x0 + float64(g.end)*(b.barW+b.gap) + b.gap
		if gi > 0 {
			c.pg.Line(math.Round(xs+b.gap/2), y0, math.Round(xs+b.gap/2), y0+H+c.px(4), 1, th.grid)
		}
		if c.tw(g.label, ptTick, false) < xe-xs {
			c.text((xs+xe)/2, ly+c.px(2), g.label, ptTick, false, th.fg, 0.5, 0)
		} else if c.tw(strconv.Itoa(gi), ptTick, false) < xe-xs {
			c.text((xs+xe)/2, ly+c.px(2), strconv.Itoa(gi), ptTick, false, th.fg, 0.5, 0)
		}
	}
	if b.yLabel != "" {
		c.textRot(x0-L.left, y0+H/2, b.yLabel, ptAxis, th.fg, 0, 0.5)
	}
}
