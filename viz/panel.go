package viz

import (
	"math"
	"runtime"
	"strconv"

	"github.com/attnviz/attnviz/viz/internal/raster"
)

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

	pooled2 []float32 // the 2×2 block maxima, when already computed
	cell    int       // pixels per cell (≥ 1)
	pool    int       // cells per pixel (≥ 1; > 1 only when cell == 1)
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

// step returns the labelling stride so that labels of size need pixels do
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
	if m.pool <= 1 {
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
		if k == 2 && m.masked == nil && len(m.pooled2) == cw*ch {
			best = m.pooled2
		} else {
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
		HatchOn: m.masked != nil, Hatch: c.mask, HatchInk: c.hatch})
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
