package viz

import (
	"fmt"
	"math/bits"

	"github.com/attnviz/attnviz/tensor"
)

// Option changes how a figure is drawn. Options record that they were set,
// so 0 is a legal value (Query(0), Highlight(0), Layers(0)). A view given an
// option it does not read ignores it and says so in a warning
// (Figure.Warnings).
type Option func(*config)

// optionSet is a set of options, one bit each: what a call gave
// (config.given) and what a view reads (view.takes).
type optionSet uint32

const (
	optTokens optionSet = 1 << iota
	optKeyTokens
	optTitle
	optPalette
	optSize
	optDPI
	optRange
	optAnnotate
	optNoAnnotate
	optHighlight
	optLayers
	optHeads
	optQuery
	optTheme
	optMask
	optSharedScale
	optBase
	optValues
	optAxes
	optBatch
	optPool
)

// optionNames are the options' function names, in the order of their bits.
var optionNames = []string{"Tokens", "KeyTokens", "Title", "Palette", "Size", "DPI", "Range", "Annotate",
	"NoAnnotate", "Highlight", "Layers", "Heads", "Query", "Theme", "Mask", "SharedScale", "Base", "Values", "Axes", "Batch", "Pool"}

// names lists the options of s by name.
func (s optionSet) names() []string {
	var out []string
	for s != 0 {
		i := bits.TrailingZeros32(uint32(s))
		out = append(out, optionNames[i])
		s &^= 1 << i
	}
	return out
}

type config struct {
	given optionSet // the options that were set

	// qTok labels the rows (queries), kTok the columns (keys): Tokens sets
	// both, KeyTokens (keyTok) the columns alone; newConfig resolves kTok.
	// A list given empty is checked like any other (0 tokens for n rows).
	qTok, kTok, keyTok []string

	title string
	cmap  *Colormap

	w, h    int
	sizeSet bool // Size was given and is usable
	dpi     float64

	lo, hi    float64 // Range
	annotate  bool    // Annotate (true) or NoAnnotate (false)
	highlight int
	query     int

	layers, heads []int
	headName      string // Heatmap: the layer and head it shows ("layer 2, head 3"), for the title
	batch         int    // Batch: the sentence of a batch

	theme  ThemeMode
	pool   PoolMode // Pool: what a pixel of a matrix larger than the figure shows
	mask   *tensor.Tensor
	shared bool
	base   float64

	// values: the matrix holds plain values, not attention (Values, Axes)
	values                    bool
	rowName, colName, valName string

	// optWarn: options that were out of range and replaced by defaults, or
	// that the view does not read
	optWarn []string
}

// has reports whether any of the options in s was given.
func (c *config) has(s optionSet) bool { return c.given&s != 0 }

// newConfig applies the options a view takes, in order; each other option
// is left out with a warning naming the view.
func newConfig(opts []Option, view string, takes optionSet) config {
	c := config{dpi: 96}
	for _, o := range opts {
		if o == nil {
			continue
		}
		var probe config
		o(&probe)
		if extra := probe.given &^ takes; extra != 0 {
			for _, name := range extra.names() {
				c.optWarn = append(c.optWarn, fmt.Sprintf("viz.%s does not use the %s option; it was ignored", view, name))
			}
			continue
		}
		o(&c)
	}
	switch {
	case c.has(optKeyTokens):
		c.kTok = c.keyTok
	case c.has(optTokens):
		c.kTok = c.qTok
	}
	if !(c.dpi >= minDPI) || c.dpi > 1200 {
		c.optWarn = append(c.optWarn, fmt.Sprintf("DPI(%v) is outside %d … 1200 (below %d, text is too small to read); drawn at 96 dpi", c.dpi, minDPI, minDPI))
		c.dpi = 96
	}
	return c
}

// Tokens labels the rows (queries) and the columns (keys) with the same
// tokens, as in self-attention: one token per row and per column. For
// cross-attention, whose keys are other tokens, add KeyTokens.
func Tokens(toks []string) Option {
	return func(c *config) { c.qTok, c.given = append([]string(nil), toks...), c.given|optTokens }
}

// KeyTokens labels the columns (keys) when they are not the tokens of the
// rows: the source sentence of cross-attention, or the columns of a matrix
// of plain values (Axes). Tokens still labels the rows.
func KeyTokens(keys []string) Option {
	return func(c *config) { c.keyTok, c.given = append([]string(nil), keys...), c.given|optKeyTokens }
}

// Title sets the figure's title.
func Title(s string) Option { return func(c *config) { c.title, c.given = s, c.given|optTitle } }

// Palette picks the colour map (Viridis, Cividis, Magma, Diverging).
func Palette(p *Colormap) Option { return func(c *config) { c.cmap, c.given = p, c.given|optPalette } }

// Size asks for a figure of w×h pixels (at the figure's DPI); the cells are
// fitted inside. A size too small for the figure's text and cells to be
// read is refused: the figure's error (a *SizeError) gives the smallest
// that works. Zero or negative values keep the automatic size.
func Size(wPx, hPx int) Option {
	return func(c *config) {
		c.given |= optSize
		if wPx > 0 && hPx > 0 && wPx <= 16384 && hPx <= 16384 {
			c.w, c.h, c.sizeSet = wPx, hPx, true
		} else {
			c.optWarn = append(c.optWarn, fmt.Sprintf("Size(%d, %d) ignored: width and height must be 1 … 16384 pixels", wPx, hPx))
		}
	}
}

// minDPI is the lowest resolution DPI takes: the smallest text (8 points)
// is then 8 pixels high, and every number still reads right.
const minDPI = 72

// DPI sets the resolution, 72 … 1200 (default 96): text of s points is
// s·DPI/72 pixels, and automatic sizes grow with it. Use 192 for crisp
// slides.
func DPI(n int) Option { return func(c *config) { c.dpi, c.given = float64(n), c.given|optDPI } }

// Range fixes the colour scale to [lo, hi] (default: from the data).
func Range(lo, hi float64) Option {
	return func(c *config) { c.lo, c.hi, c.given = lo, hi, c.given|optRange }
}

// Annotate writes each cell's value in the cell (on by default for small
// matrices); cells are enlarged to fit the numbers.
func Annotate() Option { return func(c *config) { c.annotate, c.given = true, c.given|optAnnotate } }

// NoAnnotate turns the automatic numbers in cells off.
func NoAnnotate() Option {
	return func(c *config) { c.annotate, c.given = false, c.given|optNoAnnotate }
}

// Highlight outlines one query row.
func Highlight(row int) Option {
	return func(c *config) { c.highlight, c.given = row, c.given|optHighlight }
}

// Layers picks which layers a [L, H, T, T] view shows (default all).
func Layers(l ...int) Option {
	return func(c *config) { c.layers, c.given = append([]int{}, l...), c.given|optLayers }
}

// Heads picks which heads a [L, H, T, T] view shows (default all).
func Heads(h ...int) Option {
	return func(c *config) { c.heads, c.given = append([]int{}, h...), c.given|optHeads }
}

// Batch picks one sentence of a batch, for attention with a batch axis
// as Hugging Face returns it. How a stack's axes are read:
//
//	2-D [queries, keys]                      one head
//	3-D [heads, queries, keys]               one layer
//	4-D [layers, heads, queries, keys]       (model.Record, torch.stack of one sentence's layers)
//	4-D [batch, heads, queries, keys]        only with Batch: one layer, outputs.attentions[l]
//	5-D [layers, batch, heads, queries, keys] torch.stack(outputs.attentions)
//
// A 4-D shape cannot tell layers from a batch, so it is read as layers
// unless Batch is given. A 5-D batch of one sentence needs no Batch; a
// batch of several does.
func Batch(i int) Option { return func(c *config) { c.batch, c.given = i, c.given|optBatch } }

// Query picks the query (row) a view focuses on (default: the last token).
func Query(i int) Option { return func(c *config) { c.query, c.given = i, c.given|optQuery } }

// Theme picks light or dark colours (Light is the default).
func Theme(t ThemeMode) Option { return func(c *config) { c.theme, c.given = t, c.given|optTheme } }

// Mask marks cells as masked where m is 0 (1 = may attend, the convention of
// tensor.CausalMask and torch SDPA's boolean mask).
func Mask(m *tensor.Tensor) Option { return func(c *config) { c.mask, c.given = m, c.given|optMask } }

// SharedScale chooses one colour scale for every panel of a grid (true) or
// one per head (false, the default).
func SharedScale(b bool) Option {
	return func(c *config) { c.shared, c.given = b, c.given|optSharedScale }
}

// Base sets RoPE's base θ (default 10000).
func Base(b float64) Option { return func(c *config) { c.base, c.given = b, c.given|optBase } }

// Values marks a Heatmap's matrix as plain values, not attention weights:
// embeddings, raw scores, PE·PEᵀ. Then no probability checks are made (no
// "rows should sum to 1" warning), negative values are expected, the
// default title is empty, the axes are "row" and "column" and the colour
// bar "value" (rename them with Axes), and the palette is Diverging
// centred on 0 when the values have both signs, else Viridis over the
// values' range. Only Heatmap reads it.
func Values() Option { return func(c *config) { c.values, c.given = true, c.given|optValues } }

// Axes names a Heatmap's rows, columns and values (the colour bar and the
// tooltips), e.g. Axes("token", "dimension", "value") for embeddings, and
// marks the matrix as plain values (see Values). An empty name keeps the
// default ("row", "column", "value").
func Axes(rows, cols, value string) Option {
	return func(c *config) {
		c.values, c.given = true, c.given|optAxes
		c.rowName, c.colName, c.valName = rows, cols, value
	}
}

// titleOr returns the Title option, or def when none was given.
func (c *config) titleOr(def string) string {
	if c.has(optTitle) {
		return c.title
	}
	return def
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
