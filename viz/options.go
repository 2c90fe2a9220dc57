package viz

import (
	"fmt"

	"github.com/attnviz/attnviz/tensor"
)

// Option changes how a figure is drawn. Options record that they were set,
// so 0 is a legal value (Query(0), Highlight(0), Layers(0)).
type Option func(*config)

type config struct {
	// qTok labels the rows (queries), kTok the columns (keys): Tokens sets
	// both, KeyTokens the columns alone. A nil slice that is set (qSet,
	// kSet) is an empty list, and the token counts are checked.
	qTok, kTok []string
	qSet, kSet bool
	keyTok     []string // KeyTokens' list, resolved into kTok by newConfig
	keyTokSet  bool

	title    string
	titleSet bool

	cmap *Colormap

	w, h    int
	sizeSet bool
	dpi     float64

	lo, hi   float64
	rangeSet bool

	annotate, annotateSet bool

	highlight    int
	highlightSet bool

	layers, heads []int

	query    int
	querySet bool

	theme ThemeMode

	mask *tensor.Tensor

	shared, sharedSet bool

	base    float64
	baseSet bool

	// values: the matrix holds plain values, not attention (Values, Axes)
	values                    bool
	rowName, colName, valName string

	// optWarn: options that were out of range and replaced by defaults
	optWarn []string
}

func newConfig(opts []Option) config {
	c := config{dpi: 96}
	for _, o := range opts {
		if o != nil {
			o(&c)
		}
	}
	switch {
	case c.keyTokSet:
		c.kTok, c.kSet = c.keyTok, true
	case c.qSet:
		c.kTok, c.kSet = c.qTok, true
	}
	if !(c.dpi > 0) || c.dpi > 1200 {
		c.optWarn = append(c.optWarn, fmt.Sprintf("DPI(%v) is outside 1 … 1200; drawn at 96 dpi", c.dpi))
		c.dpi = 96
	}
	return c
}

// Tokens labels the rows (queries) and the columns (keys) with the same
// tokens, as in self-attention: one token per row and per column. For
// cross-attention, whose keys are other tokens, add KeyTokens.
func Tokens(toks []string) Option {
	return func(c *config) {
		c.qTok = append([]string(nil), toks...)
		c.qSet = true
	}
}

// KeyTokens labels the columns (keys) when they are not the tokens of the
// rows: the source sentence of cross-attention, or the columns of a matrix
// of plain values (Axes). Tokens still labels the rows.
func KeyTokens(keys []string) Option {
	return func(c *config) {
		c.keyTok = append([]string(nil), keys...)
		c.keyTokSet = true
	}
}

// Title sets the figure's title.
func Title(s string) Option { return func(c *config) { c.title, c.titleSet = s, true } }

// Palette picks the colour map (Viridis, Cividis, Magma, Diverging).
func Palette(p *Colormap) Option { return func(c *config) { c.cmap = p } }

// Size asks for a figure of w×h pixels (at the figure's DPI); the cells are
// fitted inside. Zero or negative values keep the automatic size.
func Size(wPx, hPx int) Option {
	return func(c *config) {
		if wPx > 0 && hPx > 0 && wPx <= 16384 && hPx <= 16384 {
			c.w, c.h, c.sizeSet = wPx, hPx, true
		} else {
			c.optWarn = append(c.optWarn, fmt.Sprintf("Size(%d, %d) ignored: width and height must be 1 … 16384 pixels", wPx, hPx))
		}
	}
}

// DPI sets the resolution (default 96): text of s points is s·DPI/72 pixels,
// and automatic sizes grow with it. Use 192 for crisp slides.
func DPI(n int) Option { return func(c *config) { c.dpi = float64(n) } }

// Range fixes the colour scale to [lo, hi] (default: from the data).
func Range(lo, hi float64) Option {
	return func(c *config) { c.lo, c.hi, c.rangeSet = lo, hi, true }
}

// Annotate writes each cell's value in the cell (on by default for small
// matrices); cells are enlarged to fit the numbers.
func Annotate() Option { return func(c *config) { c.annotate, c.annotateSet = true, true } }

// NoAnnotate turns the automatic numbers in cells off.
func NoAnnotate() Option { return func(c *config) { c.annotate, c.annotateSet = false, true } }

// Highlight outlines one query row.
func Highlight(row int) Option { return func(c *config) { c.highlight, c.highlightSet = row, true } }

// Layers picks which layers a [L, H, T, T] view shows (default all).
func Layers(l ...int) Option {
	return func(c *config) { c.layers = append([]int{}, l...) }
}

// Heads picks which heads a [L, H, T, T] view shows (default all).
func Heads(h ...int) Option {
	return func(c *config) { c.heads = append([]int{}, h...) }
}

// Query picks the query (row) a view focuses on (default: the last token).
func Query(i int) Option { return func(c *config) { c.query, c.querySet = i, true } }

// Theme picks light or dark colours (Light is the default).
func Theme(t ThemeMode) Option { return func(c *config) { c.theme = t } }

// Mask marks cells as masked where m is 0 (1 = may attend, the convention of
// tensor.CausalMask and torch SDPA's boolean mask).
func Mask(m *tensor.Tensor) Option { return func(c *config) { c.mask = m } }

// SharedScale chooses one colour scale for every panel of a grid (true) or
// one per head (false, the default).
func SharedScale(b bool) Option { return func(c *config) { c.shared, c.sharedSet = b, true } }

// Base sets RoPE's base θ (default 10000).
func Base(b float64) Option { return func(c *config) { c.base, c.baseSet = b, true } }

// Values marks a Heatmap's matrix as plain values, not attention weights:
// embeddings, raw scores, PE·PEᵀ. Then no probability checks are made (no
// "rows should sum to 1" warning), negative values are expected, the
// default title is empty, the axes are "row" and "column" and the colour
// bar "value" (rename them with Axes), and the palette is Diverging
// centred on 0 when the values have both signs, else Viridis over the
// values' range. Views other than Heatmap ignore it.
func Values() Option { return func(c *config) { c.values = true } }

// Axes names a Heatmap's rows, columns and values (the colour bar and the
// tooltips), e.g. Axes("token", "dimension", "value") for embeddings, and
// marks the matrix as plain values (see Values). An empty name keeps the
// default ("row", "column", "value").
func Axes(rows, cols, value string) Option {
	return func(c *config) {
		c.values = true
		c.rowName, c.colName, c.valName = rows, cols, value
	}
}
