package viz

import (
	"fmt"
	"math"

	"github.com/attnviz/attnviz/tensor"
	"github.com/attnviz/attnviz/viz/internal/raster"
)

// Heatmap draws one head's attention, a [queries × keys] matrix: rows are
// queries (row 0 at the top), columns are keys, with token labels (thinned
// for long sequences), a colour bar, values written in the cells for small
// matrices, masked cells (−Inf, or 0 in the Mask option) grey and hatched,
// and an optional highlighted query row.
//
// Weights (all values ≥ 0) use Viridis on [0, max]; a matrix with negative
// values is taken as raw scores and uses Diverging centred on 0. Rows of
// weights that do not sum to 1 give a warning (see Figure.Warnings).
// For a matrix that is not attention (embeddings, PE·PEᵀ, a table of
// numbers) pass Values or Axes: no probability checks, your axis names.
// Matrices larger than the figure are shown at one pixel per k×k block,
// each pixel the block's largest value.
func Heatmap(w *tensor.Tensor, opts ...Option) *Figure {
	return build("heatmap", opts, func(f *Figure) (*raster.Page, error) {
		d, shape, err := read("Heatmap", "the weights", w)
		if err != nil {
			return nil, err
		}
		shape = squeezeLead(shape, 2)
		if len(shape) != 2 {
			return nil, shapeErr("Heatmap", "a 2-D [queries × keys] tensor", shape, rankHint(shape))
		}
		return heatmapPage(f, "Heatmap", d, shape[0], shape[1])
	})
}

// squeezeLead drops leading dimensions of size 1 down to rank want.
func squeezeLead(shape []int, want int) []int {
	for len(shape) > want && shape[0] == 1 {
		shape = shape[1:]
	}
	return shape
}

func rankHint(shape []int) string {
	switch len(shape) {
	case 0:
		return "a scalar has no rows or columns"
	case 1:
		return "for one query's weights over the keys use viz.TokenStrip, or reshape to [1, n]"
	case 3:
		return fmt.Sprintf("pick a head with w.Index(h) (0 ≤ h < %d), or draw all heads with viz.Grid", shape[0])
	case 4:
		return fmt.Sprintf("pick a layer and head with w.Index(l, h), or draw them all with viz.Grid")
	}
	return ""
}

// heatmapPage validates a [rows, cols] matrix and lays out the heatmap.
func heatmapPage(f *Figure, view string, d []float32, rows, cols int) (*raster.Page, error) {
	cfg := &f.cfg
	if err := tokenCountErr(view, cfg, rows, cols); err != nil {
		return nil, err
	}
	// a large matrix is drawn at half size by default: scan and pool at once
	var pre []float32
	var sc valueScan
	var sums []float64
	if n := max(rows, cols); !cfg.sizeSet && !(cfg.annotateSet && cfg.annotate) && rows%2 == 0 && cols%2 == 0 &&
		n > int(math.Round(512*cfg.dpi/96)) && n <= 2*int(math.Round(512*cfg.dpi/96)) {
		sc, sums, pre = scanPool2(d, rows, cols)
		if sc.negInf || sc.bad >= 0 {
			pre = nil // masked cells: pool them the careful way
			sc, sums = scanRows(d, cols, true)
		}
	} else {
		sc, sums = scanRows(d, cols, true)
	}
	if sc.bad >= 0 {
		return nil, checkValues(view, "the weights", d, []int{rows, cols}, true)
	}
	masked, err := readMask(view, cfg, rows, cols)
	if err != nil {
		return nil, err
	}
	if sc.negInf {
		for i, v := range d {
			if v < -math.MaxFloat32 {
				if masked == nil {
					masked = make([]bool, len(d))
				}
				masked[i] = true
			}
		}
	}
	if cfg.highlightSet && (cfg.highlight < 0 || cfg.highlight >= rows) {
		return nil, tensor.Errorf(tensor.ErrValue, "viz.%s: Highlight(%d) is outside the %d query rows; use 0 … %d", view, cfg.highlight, rows, rows-1)
	}
	lo, hi, ok := sc.lo, sc.hi, sc.seen
	if masked != nil && cfg.mask != nil {
		lo, hi, ok = minMax(d, masked)
	}
	if !ok {
		lo, hi = 0, 1
	}
	plain := cfg.values // not attention: no probability checks
	scores := lo < 0 && !plain
	f.addMatrix("weights", d, rows, cols)
	if !scores && !plain {
		warnSums(f, sums)
	}
	cm := cfg.cmap
	if plain {
		cm, lo, hi = plainScale(cfg, lo, hi)
	} else if cm == nil {
		cm = Viridis
		if scores {
			cm = Diverging
		}
	}
	if cfg.rangeSet {
		lo, hi = cfg.lo, cfg.hi
		if !(hi > lo) || math.IsInf(lo, 0) || math.IsInf(hi, 0) {
			return nil, tensor.Errorf(tensor.ErrValue, "viz.%s: Range(%g, %g) is empty; give lo < hi, both finite", view, cfg.lo, cfg.hi)
		}
	} else if plain {
		// plainScale chose the range
	} else if scores || cm.Diverging() {
		m := math.Max(math.Abs(lo), math.Abs(hi))
		if m == 0 {
			m = 1
		}
		lo, hi = -m, m
	} else {
		lo = 0
		if !(hi > 0) {
			hi = 1
		}
	}
	title := "Attention weights"
	cbLabel, rowTitle, colTitle := "weight", "query", "key"
	if scores {
		title, cbLabel = "Attention scores", "score"
	}
	if plain {
		title = ""
		rowTitle, colTitle, cbLabel = cfg.axisNames()
	}
	if cfg.titleSet {
		title = cfg.title
	}
	c := newCanvas(cfg, []*Colormap{cm}, nil)
	m := &matPanel{rows: rows, cols: cols, vals: d, masked: masked, lo: lo, hi: hi, cmap: c.maps[0], pooled2: pre,
		rowTitle: rowTitle, colTitle: colTitle, highlight: -1, maskText: "−∞"}
	m.rowLabels, m.colLabels = cfg.qTok, cfg.kTok
	if cfg.highlightSet {
		m.highlight = cfg.highlight
	}
	amax := math.Max(math.Abs(lo), math.Abs(hi))
	m.decimals = decimalsFor(amax)
	m.annotate = math.Max(float64(rows), float64(cols)) <= 12
	if cfg.annotateSet {
		m.annotate = cfg.annotate
	}
	annotW := 0.0
	if m.annotate {
		annotW = math.Max(c.tw(fmtVal(-amax, m.decimals), ptAnnot, false), c.tw("−∞", ptAnnot, false))
	}
	return singlePanelPage(c, cfg, m, title, cbLabel, annotW), nil
}

// axisNames returns the names of the rows, columns and values of a matrix
// of plain values (Values, Axes).
func (c *config) axisNames() (row, col, val string) {
	row, col, val = "row", "column", "value"
	if c.rowName != "" {
		row = c.rowName
	}
	if c.colName != "" {
		col = c.colName
	}
	if c.valName != "" {
		val = c.valName
	}
	return row, col, val
}

// plainScale picks the colour map and range for plain values (Values, Axes)
// whose finite values span [lo, hi]: the Palette option's map, else
// Diverging when the values have both signs, else Viridis; a diverging map
// is centred on 0, a sequential one spans the values.
func plainScale(cfg *config, lo, hi float64) (*Colormap, float64, float64) {
	cm := cfg.cmap
	if cm == nil {
		cm = Viridis
		if lo < 0 && hi > 0 {
			cm = Diverging
		}
	}
	if cm.Diverging() {
		m := math.Max(math.Abs(lo), math.Abs(hi))
		if m == 0 {
			m = 1
		}
		return cm, -m, m
	}
	if !(hi > lo) {
		lo, hi = lo-0.5, hi+0.5
	}
	return cm, lo, hi
}

// chooseCell picks the cell size (and pooling) for n cells along the longer
// side within target pixels.
func chooseCell(c *canvas, n int, target float64, annotW float64) (cell, pool int) {
	maxCell := int(c.px(56))
	minCell := 1
	if annotW > 0 {
		minCell = int(math.Ceil(annotW + c.px(6)))
		if minCell > maxCell {
			maxCell = minCell
		}
	}
	cell = int(target) / n
	if cell < 1 && annotW == 0 {
		return 1, int(math.Ceil(float64(n) / target))
	}
	if cell > maxCell {
		cell = maxCell
	}
	if cell < minCell {
		cell = minCell
	}
	if cell >= 1 {
		return cell, 1
	}
	return 1, int(math.Ceil(float64(n) / target))
}

// singlePanelPage lays out one matrix panel with a title and a colour bar.
func singlePanelPage(c *canvas, cfg *config, m *matPanel, title, cbLabel string, annotW float64) *raster.Page {
	pad := c.px(10)
	titleH := 0.0
	if title != "" {
		titleH = c.th_(ptTitle) + c.px(8)
	}
	n := m.rows
	if m.cols > n {
		n = m.cols
	}
	target := c.px(512)
	if cfg.sizeSet {
		// fit: guess margins with a typical cell, then size the cells
		m.cell, m.pool = chooseCell(c, n, target, annotW)
		L := m.layout(c)
		cbW := colorbar(c, 0, 0, 200, m.cmap, m.lo, m.hi, cbLabel, false)
		availW := float64(cfg.w) - 2*pad - L.left - L.right - c.px(14) - cbW
		availH := float64(cfg.h) - 2*pad - titleH - L.top - L.bottom
		t := math.Min(availW*float64(n)/float64(m.cols), availH*float64(n)/float64(m.rows))
		if t < 8 {
			t = 8
		}
		target = t
	}
	m.cell, m.pool = chooseCell(c, n, target, annotW)
	L := m.layout(c)
	W, H := float64(m.dataW()), float64(m.dataH())
	cbH := int(math.Max(H, c.px(120)))
	cbW := colorbar(c, 0, 0, cbH, m.cmap, m.lo, m.hi, cbLabel, false)
	contentW := L.left + W + math.Max(L.right, 0) + c.px(14) + cbW
	contentH := titleH + L.top + math.Max(H, float64(cbH)) + L.bottom
	note := ""
	if m.pool > 1 {
		note = fmt.Sprintf("%d×%d cells: each pixel shows the largest value of a %d×%d block (enlarge with viz.Size)", m.rows, m.cols, m.pool, m.pool)
		contentH += c.th_(ptTick) + c.px(6)
		if tw := c.tw(note, ptTick, false) + 2*pad; tw > contentW+2*pad {
			contentW = tw - 2*pad
		}
	}
	pw, ph := contentW+2*pad, contentH+2*pad
	if tw := c.tw(title, ptTitle, true) + 2*pad; tw > pw {
		pw = tw
	}
	if cfg.sizeSet {
		pw, ph = math.Max(pw, float64(cfg.w)), math.Max(ph, float64(cfg.h))
	}
	ox := math.Floor((pw - contentW) / 2)
	oy := math.Floor((ph - contentH) / 2)
	x0 := int(ox + L.left)
	y0 := int(oy + titleH + L.top)
	if title != "" {
		c.text(float64(x0)+W/2, oy, title, ptTitle, true, c.th.fg, 0.5, 0)
		// keep the title on the page
		if tw := c.tw(title, ptTitle, true); float64(x0)+W/2-tw/2 < pad || float64(x0)+W/2+tw/2 > pw-pad {
			c.pg.ResetLastText(pw/2, oy)
		}
	}
	m.draw(c, L, x0, y0)
	if note != "" {
		c.text(ox, oy+contentH, note, ptTick, false, c.th.muted, 0, 1)
	}
	colorbar(c, float64(x0)+W+math.Max(L.right, 0)+c.px(14), float64(y0), cbH, m.cmap, m.lo, m.hi, cbLabel, true)
	return c.finish(pw, ph)
}
