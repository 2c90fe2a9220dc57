package viz

import (
	"fmt"
	"math"
	"runtime"
	"slices"
	"strings"

	"github.com/attnviz/attnviz/internal/english"
	"github.com/attnviz/attnviz/tensor"
	"github.com/attnviz/attnviz/viz/internal/echarts"
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
//
// Given attention of several heads ([heads, queries, keys], [layers,
// heads, queries, keys] or with a batch axis, see Batch), Heatmap draws
// the head that Layers(l), Heads(h) (and Batch(i)) pick, and names it in
// the title ("layer 2, head 3"); an axis of size 1 needs no option. On a
// [queries, keys] matrix that you picked yourself, Layers and Heads only
// name it: Heatmap(att.Index(2, 3), Layers(2), Heads(3)).
func Heatmap(w *tensor.Tensor, opts ...Option) *Figure {
	return build(heatmapView, opts, tensors(w))
}

// heatmapData is what a heatmap keeps for its interactive form.
type heatmapData struct {
	d          []float32 // rows×cols, row-major (shared with the tensor: read only)
	rows, cols int
	blocked    []bool   // cells the Mask option blocks, or nil
	mask       maskRows // or the Mask option by rows (pooled figures), or nil
}

func drawHeatmap(f *Figure, in inputs) (*raster.Page, error) {
	// the values are read without a copy (a 16384² matrix is 1 GiB): the
	// figure keeps them for its interactive form, and nothing changes them
	d, rows, cols, err := heatmapHead(&f.cfg, in.t[0])
	if err != nil {
		return nil, err
	}
	return heatmapPage(f, d, rows, cols)
}

// heatmapHead reads the matrix a heatmap draws: a [queries, keys] matrix
// (leading axes of size 1 dropped), or the head of a stack that Layers,
// Heads and Batch pick. It sets cfg.headName to what the title names.
func heatmapHead(cfg *config, t *tensor.Tensor) (d []float32, rows, cols int, err error) {
	const view = "Heatmap"
	var rank int
	if t != nil && t.Err() == nil {
		rank = len(t.Shape())
	}
	if rank <= 2 || (rank < 5 && !cfg.has(optLayers|optHeads|optBatch) && len(squeezeLead(t.Shape(), 2)) == 2) {
		// a matrix: Layers and Heads name it
		if cfg.has(optBatch) {
			return nil, 0, 0, tensor.Errorf(tensor.ErrShape, "viz.%s: Batch(%d) was given, but the weights of shape %v have no batch axis; drop viz.Batch", view, cfg.batch, t.Shape())
		}
		if d, rows, cols, err = read2DShared(view, "the weights", "a 2-D [queries × keys] tensor", t); err != nil {
			return nil, 0, 0, err
		}
		var parts []string
		if len(cfg.layers) == 1 {
			parts = append(parts, fmt.Sprintf("layer %d", cfg.layers[0]))
		}
		if len(cfg.heads) == 1 {
			parts = append(parts, fmt.Sprintf("head %d", cfg.heads[0]))
		}
		cfg.headName = strings.Join(parts, ", ")
		return d, rows, cols, nil
	}
	st, err := readStack(view, t, cfg)
	if err != nil {
		return nil, 0, 0, err
	}
	one := func(what string, sel []int, n int) (int, bool) {
		switch {
		case len(sel) == 1:
			return sel[0], true
		case len(sel) == 0 && n == 1:
			return 0, true
		}
		return 0, false
	}
	l, okL := one("layer", cfg.layers, st.L)
	h, okH := one("head", cfg.heads, st.H)
	if !okL || !okH {
		var what, pick []string
		if st.L > 1 {
			what = append(what, english.Count(st.L, "layer"))
			pick = append(pick, fmt.Sprintf("viz.Layers(l) (0 … %d)", st.L-1))
		}
		if st.H > 1 {
			what = append(what, english.Count(st.H, "head"))
			pick = append(pick, fmt.Sprintf("viz.Heads(h) (0 … %d)", st.H-1))
		}
		if len(cfg.layers) > 1 || len(cfg.heads) > 1 {
			return nil, 0, 0, tensor.Errorf(tensor.ErrValue, "viz.%s draws one head, but Layers and Heads name %s × %s; draw several with viz.Grid",
				view, english.Count(max(len(cfg.layers), 1), "layer"), english.Count(max(len(cfg.heads), 1), "head"))
		}
		return nil, 0, 0, tensor.Errorf(tensor.ErrShape, "viz.%s: want one head's [queries, keys] matrix, got attention of %s, shape %v (%s); pick one with %s, or draw every head with viz.Grid",
			view, strings.Join(what, " × "), st.in, st.axes, strings.Join(pick, " and "))
	}
	var parts []string
	if st.layerAxis {
		parts = append(parts, fmt.Sprintf("layer %d", l))
	}
	parts = append(parts, fmt.Sprintf("head %d", h))
	name := strings.Join(parts, ", ")
	if st.nB > 1 || cfg.has(optBatch) {
		name += fmt.Sprintf(" (batch item %d)", st.batch)
	}
	cfg.headName = name
	return st.head(l, h), st.Tq, st.Tk, nil
}

// maxAnnotated is the largest matrix side a heatmap writes its values in
// (Annotate): larger ones would make pictures of many thousands of pixels.
const maxAnnotated = 128

// heatmapPage validates a [rows, cols] matrix and lays out the heatmap. A
// matrix larger than the figure's pixels is pooled to them in the same
// pass that checks it (pooledHeatmapPage); a smaller one is drawn cell for
// cell.
func heatmapPage(f *Figure, d []float32, rows, cols int) (*raster.Page, error) {
	const view = "Heatmap"
	cfg := &f.cfg
	if err := tokenCountErr(view, cfg, rows, cols); err != nil {
		return nil, err
	}
	if cfg.annotate && max(rows, cols) > maxAnnotated {
		// A number in each of 8192² cells makes a picture of gigabytes
		// that nobody can read: draw the matrix and say why there are none.
		cfg.annotate = false
		f.warn("Annotate is ignored: a %d×%d matrix has too many cells to write a number in each (at most %d×%d); hover over the interactive figure, or draw a slice of the matrix", rows, cols, maxAnnotated, maxAnnotated)
	}
	if k := heatmapPool(cfg, rows, cols); k > 1 {
		return pooledHeatmapPage(f, d, rows, cols, k)
	}
	sc, sums := scanRows(d, cols, true)
	if sc.bad >= 0 {
		return nil, checkValues(view, "the weights", d, []int{rows, cols}, true)
	}
	blocked, err := readMask(view, cfg.mask, rows, cols)
	if err != nil {
		return nil, err
	}
	masked := blocked // and the −Inf cells
	if sc.negInf {
		masked = slices.Clone(blocked)
		if masked == nil {
			masked = make([]bool, len(d))
		}
		for i, v := range d {
			if v < -math.MaxFloat32 {
				masked[i] = true
			}
		}
	}
	if err := checkHighlight(view, cfg, rows); err != nil {
		return nil, err
	}
	lo, hi, ok := sc.lo, sc.hi, sc.seen
	if masked != nil && cfg.mask != nil {
		lo, hi, ok = minMax(d, masked)
	}
	f.data = &heatmapData{d: d, rows: rows, cols: cols, blocked: blocked}
	sty, err := heatmapStyle(f, lo, hi, ok, sums)
	if err != nil {
		return nil, err
	}
	c := newCanvas(cfg, []*Colormap{sty.cm}, nil)
	m := sty.panel(c, cfg, rows, cols)
	m.vals, m.masked = d, masked
	amax := math.Max(math.Abs(sty.lo), math.Abs(sty.hi))
	m.decimals = decimalsFor(amax)
	m.annotate = math.Max(float64(rows), float64(cols)) <= 12
	if cfg.has(optAnnotate | optNoAnnotate) {
		m.annotate = cfg.annotate
	}
	annotW := 0.0
	if m.annotate {
		annotW = math.Max(c.tw(fmtVal(-amax, m.decimals), ptAnnot, false), c.tw("−∞", ptAnnot, false))
	}
	return singlePanelPage(c, cfg, m, sty.title, sty.cbLabel, annotW), nil
}

// pooledHeatmapPage draws a matrix with more cells than the figure has
// pixels: one pass over the values checks them, finds their range and
// pools each k×k block of cells to one pixel (PoolMax or PoolMean; masked
// cells left out), and the page is drawn from the pooled pixels with a
// line saying so under the matrix.
func pooledHeatmapPage(f *Figure, d []float32, rows, cols, k int) (*raster.Page, error) {
	const view = "Heatmap"
	cfg := &f.cfg
	mask, err := readMaskRows(view, cfg.mask, rows, cols)
	if err != nil {
		return nil, err
	}
	p := poolScan(d, rows, cols, k, cfg.pool, mask)
	if p.scan.bad >= 0 {
		v := d[p.scan.bad]
		return nil, tensor.Errorf(tensor.ErrValue, "viz.%s: %s %s %v at %v; every value must be a finite number (look for a division by zero or an overflow before this step)", view, "the weights", verb("the weights", "holds"), v, unravel(p.scan.bad, []int{rows, cols}))
	}
	if err := checkHighlight(view, cfg, rows); err != nil {
		return nil, err
	}
	f.data = &heatmapData{d: d, rows: rows, cols: cols, mask: mask}
	sty, err := heatmapStyle(f, p.scan.lo, p.scan.hi, p.scan.seen, p.sums)
	if err != nil {
		return nil, err
	}
	c := newCanvas(cfg, []*Colormap{sty.cm}, nil)
	m := sty.panel(c, cfg, rows, cols)
	m.pooled, m.pooledMasked, m.pool, m.cell, m.fixed = p.vals, p.masked, k, 1, true
	m.decimals = decimalsFor(math.Max(math.Abs(sty.lo), math.Abs(sty.hi)))
	m.note = poolNote(rows, cols, k, cfg.pool, p.masked)
	return singlePanelPage(c, cfg, m, sty.title, sty.cbLabel, 0), nil
}

// poolNote is the line under a pooled matrix.
func poolNote(rows, cols, k int, mode PoolMode, masked bool) string {
	s := fmt.Sprintf("%d×%d cells: each pixel = %s over %d×%d cells", rows, cols, mode, k, k)
	if masked {
		s += " (masked cells left out)"
	}
	return s
}

// heatmapPool returns the cells per pixel a heatmap of rows×cols is drawn
// with: 1 when every cell gets its pixels (the matrix fits, or Annotate
// enlarges the cells), else k > 1, decided before the values are read
// from the layout the figure will have (for Size, with a colour bar
// measured for [0, 1]: the pooled page keeps this k).
func heatmapPool(cfg *config, rows, cols int) int {
	if cfg.annotate || (max(rows, cols) <= 12 && !cfg.has(optNoAnnotate)) {
		return 1
	}
	c := newCanvas(cfg, []*Colormap{Viridis}, nil)
	n := max(rows, cols)
	target := c.px(512)
	if cfg.sizeSet {
		m := &matPanel{rows: rows, cols: cols, cmap: c.maps[0], lo: 0, hi: 1, highlight: -1, rowTitle: "query", colTitle: "key"}
		m.rowLabels, m.colLabels = cfg.qTok, cfg.kTok
		titleH := 0.0
		if cfg.titleOr(map[bool]string{true: "", false: "Attention weights"}[cfg.values]) != "" {
			titleH = c.th_(ptTitle) + c.px(8)
		}
		target = sizeTarget(c, cfg, m, n, "weight", 0, titleH)
		if _, pool := chooseCell(c, n, target, 0); pool > 1 {
			// pooled: the note under the matrix takes a line
			target = sizeTarget(c, cfg, m, n, "weight", 0, titleH+c.th_(ptTick)+c.px(6))
		}
	}
	_, pool := chooseCell(c, n, target, 0)
	return pool
}

// sizeTarget is the pixels the longer side of m's cells may take in a
// figure of the Size option's size (margins measured with the cells at
// their size for the default target).
func sizeTarget(c *canvas, cfg *config, m *matPanel, n int, cbLabel string, annotW, titleH float64) float64 {
	pad := c.px(10)
	m.cell, m.pool = chooseCell(c, n, c.px(512), annotW)
	L := m.layout(c)
	cbW := colorbar(c, 0, 0, 200, m.cmap, m.lo, m.hi, cbLabel, false)
	availW := float64(cfg.w) - 2*pad - L.left - L.right - c.px(14) - cbW
	availH := float64(cfg.h) - 2*pad - titleH - L.top - L.bottom
	t := math.Min(availW*float64(n)/float64(m.cols), availH*float64(n)/float64(m.rows))
	return math.Max(t, 8)
}

// checkHighlight checks the Highlight option against the rows.
func checkHighlight(view string, cfg *config, rows int) error {
	if cfg.has(optHighlight) && (cfg.highlight < 0 || cfg.highlight >= rows) {
		return tensor.Errorf(tensor.ErrValue, "viz.%s: Highlight(%d) is outside the %s; use 0 … %d", view, cfg.highlight, english.Count(rows, "query row"), rows-1)
	}
	return nil
}

// heatStyle is how a heatmap shows its values: colour map and range,
// titles.
type heatStyle struct {
	cm                                 *Colormap
	lo, hi                             float64
	title, cbLabel, rowTitle, colTitle string
}

// heatmapStyle picks the colour map, the colour range and the titles
// from the range [lo, hi] of the values (ok: some value is finite) and
// the options, and warns about rows that do not sum to 1.
func heatmapStyle(f *Figure, lo, hi float64, ok bool, sums []float64) (heatStyle, error) {
	const view = "Heatmap"
	cfg := &f.cfg
	if !ok {
		lo, hi = 0, 1
	}
	plain := cfg.values // not attention: no probability checks
	scores := lo < 0 && !plain
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
	if cfg.has(optRange) {
		lo, hi = cfg.lo, cfg.hi
		if !(hi > lo) || math.IsInf(lo, 0) || math.IsInf(hi, 0) {
			return heatStyle{}, tensor.Errorf(tensor.ErrValue, "viz.%s: Range(%g, %g) is empty; give lo < hi, both finite", view, cfg.lo, cfg.hi)
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
	s := heatStyle{cm: cm, lo: lo, hi: hi, title: "Attention weights", cbLabel: "weight", rowTitle: "query", colTitle: "key"}
	if scores {
		s.title, s.cbLabel = "Attention scores", "score"
	}
	if plain {
		s.title = ""
		s.rowTitle, s.colTitle, s.cbLabel = cfg.axisNames()
	}
	if cfg.headName != "" && s.title != "" {
		s.title += " — " + cfg.headName
	}
	s.title = cfg.titleOr(s.title)
	return s, nil
}

// panel is the matrix panel of a heatmap drawn in style s (no values yet).
func (s heatStyle) panel(c *canvas, cfg *config, rows, cols int) *matPanel {
	m := &matPanel{rows: rows, cols: cols, lo: s.lo, hi: s.hi, cmap: c.maps[0],
		rowTitle: s.rowTitle, colTitle: s.colTitle, highlight: -1, maskText: "−∞"}
	m.rowLabels, m.colLabels = cfg.qTok, cfg.kTok
	if cfg.has(optHighlight) {
		m.highlight = cfg.highlight
	}
	return m
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
	if !m.fixed {
		target := c.px(512)
		if cfg.sizeSet {
			// fit: guess margins with a typical cell, then size the cells
			target = sizeTarget(c, cfg, m, n, cbLabel, annotW, titleH)
		}
		m.cell, m.pool = chooseCell(c, n, target, annotW)
	}
	L := m.layout(c)
	W, H := float64(m.dataW()), float64(m.dataH())
	cbH := int(math.Max(H, c.px(120)))
	cbW := colorbar(c, 0, 0, cbH, m.cmap, m.lo, m.hi, cbLabel, false)
	contentW := L.left + W + math.Max(L.right, 0) + c.px(14) + cbW
	contentH := titleH + L.top + math.Max(H, float64(cbH)) + L.bottom
	note := m.note
	if m.pool > 1 && note == "" {
		note = poolNote(m.rows, m.cols, m.pool, PoolMax, m.masked != nil)
	}
	if note != "" {
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

// ---- interactive

// heatmapInteractive is the heatmap's interactive form: the same matrix,
// names and colour scale, with tooltips.
func heatmapInteractive(f *Figure, o *iopts) *echarts.Chart {
	h := f.data.(*heatmapData)
	if max(h.rows, h.cols) > overviewMax {
		return bigHeatmapInteractive(f, h, o)
	}
	d := h.d
	if h.mask != nil && h.blocked == nil {
		h.blocked = make([]bool, h.rows*h.cols)
		for r := range h.rows {
			for j, v := range h.mask(r) {
				h.blocked[r*h.cols+j] = v == 0
			}
		}
	}
	// Masked cells (the Mask option) travel as NaN: drawn grey, "masked" in tooltips.
	if h.blocked != nil {
		d = slices.Clone(d)
		for i, b := range h.blocked {
			if b {
				d[i] = float32(math.NaN())
			}
		}
	}
	lo, hi := finiteRange(d)
	o.heatLabels(f, lo, hi)
	// Numbers in the cells as in the PNG: on up to 12×12, or as asked.
	o.annotate = max(h.rows, h.cols) <= 12
	if f.cfg.has(optAnnotate | optNoAnnotate) {
		o.annotate = f.cfg.annotate
	}
	return heatmapChart(d, h.rows, h.cols, o)
}

// heatLabels sets what the interactive heatmap (cell for cell or pooled,
// bigheat.go) names and colours from the data's range [lo, hi]: plain values
// (Values, Axes) take the static view's names and scale; attention is
// "weights", or "scores" when negative, titled with the head it shows.
func (o *iopts) heatLabels(f *Figure, lo, hi float64) {
	if f.cfg.values {
		o.rowName, o.colName, o.label = f.cfg.axisNames()
		cm, plo, phi := plainScale(&f.cfg, lo, hi)
		o.pal, o.diverging = hexStops(cm), cm.Diverging()
		if !o.hasRange {
			o.lo, o.hi, o.hasRange = plo, phi, true
		}
	} else {
		if lo < 0 {
			o.label = "score"
		}
		if o.title == "" {
			o.title = "Attention weights"
			if lo < 0 {
				o.title = "Attention scores"
			}
			if f.cfg.headName != "" {
				o.title += " — " + f.cfg.headName
			}
		}
	}
	if f.cfg.has(optHighlight) {
		o.pin = f.cfg.highlight
	}
}

type heatSpec struct {
	specBase
	Rows  int      `json:"rows"`
	Cols  int      `json:"cols"`
	Lo    float64  `json:"lo"`
	Hi    float64  `json:"hi"`
	Pal   []string `json:"pal"`
	Label string   `json:"label"`
	Pin   int      `json:"pin"`
	// RowName and ColName name the axes of a matrix of plain values
	// (viz.Axes); empty means "query" and "key".
	RowName string `json:"rowName,omitempty"`
	ColName string `json:"colName,omitempty"`
	// Annot writes each cell's value in it with Dec decimals (as the PNG).
	Annot bool `json:"annot,omitempty"`
	Dec   int  `json:"dec,omitempty"`
}

// heatmapChart writes the interactive heatmap of w, [rows, cols] row-major
// (queries × keys); NaN and −Inf cells are drawn masked.
func heatmapChart(w []float32, rows, cols int, o *iopts) *echarts.Chart {
	if o.pal == nil {
		// Raw scores (negative values) get the diverging map centred on 0,
		// as in the static heatmap.
		if dlo, _ := finiteRange(w); dlo < 0 {
			o.pal, o.diverging = hexStops(Diverging), true
		}
	}
	pal := o.palette(Viridis)
	lo, hi := o.colourRange(w)
	arrays := []echarts.Array{echarts.Auto("w", w, lo, hi)}
	if o.scores != nil {
		slo, shi := finiteRange(o.scores)
		arrays = append(arrays, echarts.Auto("s", o.scores, slo, shi))
	}
	return o.chart("heatmap", 760, 640, heatSpec{specBase: o.base(), Rows: rows, Cols: cols, Lo: lo, Hi: hi, Pal: pal,
		Label: o.label, Pin: o.pin, RowName: o.rowName, ColName: o.colName,
		Annot: o.annotate, Dec: decimalsFor(math.Max(math.Abs(lo), math.Abs(hi)))}, arrays...)
}

// ---- one pass over the values

// valueScan is what one pass over the values finds.
type valueScan struct {
	lo, hi float64 // range of the finite values
	seen   bool    // some value is finite
	negInf bool    // some value is −Inf
	bad    int     // index of the first NaN or +Inf, or −1
}

// scanRows makes one pass over rows of n values: the value range, −Inf and
// NaN/+Inf positions and, when sums is true, each row's sum of its finite
// values (for the rows-sum-to-1 warning).
func scanRows(d []float32, n int, sums bool) (valueScan, []float64) {
	rows := 0
	if n > 0 {
		rows = len(d) / n
	}
	if len(d) < 1<<18 || rows < 2 || runtime.GOMAXPROCS(0) < 2 {
		return scanRowsSerial(d, n, sums)
	}
	// two halves at once: large matrices are memory-bound
	half := rows / 2 * n
	var s2 valueScan
	var r2 []float64
	done := make(chan struct{})
	go func() {
		s2, r2 = scanRowsSerial(d[half:], n, sums)
		close(done)
	}()
	s1, r1 := scanRowsSerial(d[:half], n, sums)
	<-done
	if s2.bad >= 0 && s1.bad < 0 {
		s1.bad = half + s2.bad
	}
	s1.negInf = s1.negInf || s2.negInf
	if s2.seen {
		if !s1.seen {
			s1.lo, s1.hi = s2.lo, s2.hi
		}
		s1.lo, s1.hi, s1.seen = math.Min(s1.lo, s2.lo), math.Max(s1.hi, s2.hi), true
	}
	return s1, append(r1, r2...)
}

func scanRowsSerial(d []float32, n int, sums bool) (valueScan, []float64) {
	const maxF = math.MaxFloat32
	s := valueScan{bad: -1}
	if n <= 0 {
		return s, nil
	}
	var rs []float64
	if sums {
		rs = make([]float64, len(d)/n)
	}
	l, h := float32(maxF), float32(-maxF)
	for r := 0; r*n < len(d); r++ {
		row := d[r*n : (r+1)*n]
		var a0, a1 float64
		j := 0
		for ; j+1 < len(row); j += 2 {
			v0, v1 := row[j], row[j+1]
			if !(v0 >= -maxF && v0 <= maxF && v1 >= -maxF && v1 <= maxF) {
				break // the slow loop below takes the rest of the row
			}
			a0 += float64(v0)
			a1 += float64(v1)
			if v0 < l {
				l = v0
			}
			if v1 < l {
				l = v1
			}
			if v0 > h {
				h = v0
			}
			if v1 > h {
				h = v1
			}
		}
		for ; j < len(row); j++ {
			v := row[j]
			if v >= -maxF && v <= maxF {
				a0 += float64(v)
				if v < l {
					l = v
				}
				if v > h {
					h = v
				}
				continue
			}
			if v < 0 {
				s.negInf = true
				continue
			}
			if s.bad < 0 {
				s.bad = r*n + j
			}
		}
		if sums {
			rs[r] = a0 + a1
		}
	}
	s.lo, s.hi, s.seen = float64(l), float64(h), l <= h
	return s, rs
}

// ---- TokenStrip: one query's row of the matrix as coloured text

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

// ---- TokenStrip, interactive

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
