package viz

// How a view becomes a figure: the table of views, build, the Figure and
// its outputs (PNG, SVG, PDF, the interactive HTML), and the reading and
// checking of the tensors every view is given.

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"html"
	"io/fs"
	"math"
	"path/filepath"
	"strings"
	"sync"

	"github.com/attnviz/attnviz/internal/atomicfile"
	"github.com/attnviz/attnviz/internal/english"
	"github.com/attnviz/attnviz/tensor"
	"github.com/attnviz/attnviz/viz/internal/echarts"
	"github.com/attnviz/attnviz/viz/internal/raster"
)

// A view is one kind of figure: its name, how it is drawn, its interactive
// form and the options it reads. Every view function (Heatmap, Grid, ...)
// is build with its entry of the views table.
type view struct {
	name  string    // the function's name: messages say viz.<name>
	takes optionSet // the options it reads; any other gives a warning
	// draw checks the inputs, keeps in f.data what the interactive form
	// needs and lays the static figure out.
	draw func(f *Figure, in inputs) (*raster.Page, error)
	// interactive writes the chart from f.data and the figure's options
	// o; nil: the HTML shows the PNG.
	interactive func(f *Figure, o *iopts) *echarts.Chart
}

// inputs are the arguments of a view function other than its options.
type inputs struct {
	t []*tensor.Tensor // in the order of the function's parameters
	n []int            // MaskPatterns: n, valid; RoPE: d, positions
	s []string         // Induction: the tokens
}

func tensors(t ...*tensor.Tensor) inputs { return inputs{t: t} }
func ints(n ...int) inputs               { return inputs{n: n} }

type viewKind int

const (
	heatmapView viewKind = iota
	gridView
	headViewView
	explorerView
	stepsView
	maskPatternsView
	maskEffectView
	positionalView
	ropeView
	headStatsView
	rolloutView
	tokenStripView
	inductionView
)

// Options every view reads, and those of the views of a [L, H, T, T] stack.
const (
	everyView = optTitle | optSize | optDPI | optTheme
	stackView = everyView | optTokens | optKeyTokens | optPalette | optRange | optLayers | optHeads | optSharedScale | optBatch
)

// views describes every view: name, options read, static draw, interactive writer.
var views = [...]view{
	heatmapView: {"Heatmap", everyView | optTokens | optKeyTokens | optPalette | optRange | optAnnotate | optNoAnnotate |
		optHighlight | optMask | optValues | optAxes | optLayers | optHeads | optBatch | optPool, drawHeatmap, heatmapInteractive},
	gridView: {"Grid", stackView, drawGridStack(gridPage), explorerInteractive},
	headViewView: {"HeadView", everyView | optTokens | optKeyTokens | optLayers | optHeads | optBatch, drawHeadView,
		headViewInteractive},
	explorerView:     {"Explorer", stackView, drawGridStack(explorerPage), explorerInteractive},
	stepsView:        {"Steps", everyView | optTokens | optKeyTokens | optPalette | optAnnotate | optNoAnnotate | optMask | optQuery, drawSteps, stepsInteractive},
	maskPatternsView: {"MaskPatterns", everyView | optTokens | optPalette, drawMaskPatterns, nil},
	maskEffectView:   {"MaskEffect", everyView | optTokens | optKeyTokens | optQuery, drawMaskEffect, nil},
	positionalView:   {"Positional", everyView | optPalette, drawPositional, nil},
	ropeView:         {"RoPE", everyView | optPalette | optBase, drawRoPE, nil},
	headStatsView:    {"HeadStats", everyView | optPalette | optLayers | optHeads | optBatch, drawHeadStats, nil},
	rolloutView: {"Rollout", everyView | optTokens | optPalette | optAnnotate | optNoAnnotate | optLayers | optHeads | optQuery | optBatch,
		drawRollout, nil},
	tokenStripView: {"TokenStrip", everyView | optTokens | optKeyTokens | optPalette | optRange | optQuery, drawTokenStrip, stripInteractive},
	inductionView:  {"Induction", everyView | optTokens | optPalette | optLayers | optHeads | optBatch, drawInduction, nil},
}

// Figure is a rendered view. Its display methods (PNG, HTML, SimpleRender)
// never panic. Use pointer values (*Figure), as every view returns.
type Figure struct {
	view     *view
	cfg      config
	data     any // what draw kept for the interactive writer (*heatmapData, *stack, ...)
	page     *raster.Page
	png      []byte
	err      error
	warnings []string
	caption  string
	html     *lazyHTML // the interactive HTML; nil when the view has none or the figure failed
}

// build makes a figure of view k: the view's draw lays the page out; an
// error (or a panic) gives an error figure instead.
func build(k viewKind, opts []Option, in inputs) *Figure {
	v := &views[k]
	f := &Figure{view: v, cfg: newConfig(opts, v.name, v.takes)}
	f.warnings = append(f.warnings, f.cfg.optWarn...)
	var page *raster.Page
	err := func() (err error) {
		defer func() {
			if r := recover(); r != nil {
				err = tensor.Errorf(tensor.ErrValue, "viz.%s: drawing failed (%v); please report this with the input's shape", v.name, r)
			}
		}()
		page, err = v.draw(f, in)
		if err == nil && page != nil && f.cfg.sizeSet {
			if page.W > f.cfg.w || page.H > f.cfg.h {
				se := &SizeError{View: v.name, W: f.cfg.w, H: f.cfg.h, MinW: max(page.W, f.cfg.w), MinH: max(page.H, f.cfg.h), DPI: int(f.cfg.dpi)}
				if se.MinW > f.cfg.w {
					// a view that reflows (the token strip wraps its text) may need less
					// height at the width found: the smallest size is its layout there
					asked := f.cfg
					f.cfg.w, f.cfg.h = se.MinW, 1
					if p, err := v.draw(f, in); err == nil && p != nil && p.W <= se.MinW {
						se.MinH = max(p.H, asked.h)
					}
					f.cfg = asked
				}
				return se
			}
			page.Grow(f.cfg.w, f.cfg.h)
		}
		if err == nil && page != nil {
			f.png, err = page.PNG()
		}
		return err
	}()
	if err != nil {
		f.fail(err)
		return f
	}
	f.page = page
	f.caption = f.makeCaption()
	if v.interactive != nil {
		f.html = newLazyHTML(f)
	}
	return f
}

// fail turns f into an error figure.
func (f *Figure) fail(err error) {
	f.err = err
	f.data = nil
	f.html = nil
	f.page = errorPage(err.Error(), f.cfg.theme)
	var perr error
	f.png, perr = safePNG(f.page)
	if perr != nil {
		f.png = nil
	}
	f.caption = "Error: " + err.Error()
}

func safePNG(p *raster.Page) (b []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	return p.PNG()
}

func (f *Figure) warn(format string, args ...any) {
	f.warnings = append(f.warnings, fmt.Sprintf(format, args...))
}

func (f *Figure) makeCaption() string {
	s := f.cfg.title
	if s == "" {
		s = f.view.name
		if f.cfg.headName != "" {
			s += " — " + f.cfg.headName
		}
	}
	for _, w := range f.warnings {
		s += " — warning: " + w
	}
	return s
}

// SizeError is the error of a figure whose Size is too small for its
// text and cells to be read: the figure needs at least MinW×MinH pixels
// (at the DPI given).
type SizeError struct {
	View       string // the view: "Heatmap", "Grid", ...
	W, H       int    // the size asked for
	MinW, MinH int    // the smallest that works
	DPI        int
}

func (e *SizeError) Error() string {
	return fmt.Sprintf("viz.%s: Size(%d, %d) is too small to read: this figure needs at least %d×%d pixels at %d dpi; ask for Size(%d, %d) or more, or leave Size out for the automatic size",
		e.View, e.W, e.H, e.MinW, e.MinH, e.DPI, e.MinW, e.MinH)
}

// Is makes errors.Is(err, tensor.ErrValue) hold, as for every bad option.
func (e *SizeError) Is(target error) bool { return target == tensor.ErrValue }

// Err returns the figure's error, or nil.
func (f *Figure) Err() error {
	if f == nil {
		return tensor.Errorf(tensor.ErrValue, "viz: nil *Figure")
	}
	return f.err
}

// Warnings lists problems that did not stop the drawing (for example rows
// of weights that do not sum to 1, or an option the view does not use).
func (f *Figure) Warnings() []string {
	if f == nil {
		return nil
	}
	return append([]string(nil), f.warnings...)
}

// PNG returns the figure as a PNG image (an error figure shows its message).
func (f *Figure) PNG() []byte {
	if f == nil {
		return nil
	}
	return f.png
}

// HTML returns the figure as HTML: the interactive chart when one is
// available, else the PNG as an inline image with a caption.
func (f *Figure) HTML() (out string) {
	if f == nil {
		return ""
	}
	defer func() {
		if r := recover(); r != nil {
			out = f.staticHTML()
		}
	}()
	if f.html != nil && f.err == nil {
		if s, err := f.html.fragment(); err == nil {
			return s + warningsHTML(f.warnings)
		}
	}
	return f.staticHTML()
}

func (f *Figure) staticHTML() string {
	var b strings.Builder
	b.WriteString(`<figure class="attnviz" style="margin:0">`)
	b.WriteString(`<img alt="`)
	b.WriteString(html.EscapeString(f.caption))
	b.WriteString(`" src="data:image/png;base64,`)
	b.WriteString(base64.StdEncoding.EncodeToString(f.png))
	b.WriteString(`"/>`)
	b.WriteString(`<figcaption style="font:12px sans-serif">`)
	b.WriteString(html.EscapeString(f.caption))
	b.WriteString(`</figcaption></figure>`)
	return b.String()
}

// String describes the figure in one line.
func (f *Figure) String() string {
	if f == nil {
		return "viz.Figure(nil)"
	}
	if f.err != nil {
		return "viz." + f.view.name + " error: " + f.err.Error()
	}
	s := fmt.Sprintf("viz.%s figure", f.view.name)
	if f.page != nil {
		s += fmt.Sprintf(" %d×%d px", f.page.W, f.page.H)
	}
	if f.cfg.title != "" {
		s += fmt.Sprintf(" %q", f.cfg.title)
	}
	for _, w := range f.warnings {
		s += "; warning: " + w
	}
	return s
}

// SimpleRender returns the MIME bundle a notebook shows: image/png,
// text/html and text/plain.
func (f *Figure) SimpleRender() map[string]any {
	if f == nil {
		return map[string]any{"text/plain": "viz.Figure(nil)"}
	}
	return map[string]any{
		"image/png":  f.PNG(),
		"text/html":  f.HTML(),
		"text/plain": f.String(),
	}
}

// Save writes the figure; the format comes from the extension: .png, .svg,
// .pdf or .html. It returns the figure's error, if any, without writing.
func (f *Figure) Save(path string) error {
	if f == nil {
		return tensor.Errorf(tensor.ErrValue, "viz: Save on a nil *Figure")
	}
	if f.err != nil {
		return f.err
	}
	b, err := f.Encode(strings.ToLower(filepath.Ext(path)))
	if err != nil {
		return err
	}
	return writeAtomic(path, b)
}

// writeAtomic writes b with internal/atomicfile (a temporary file beside
// path, renamed into place), so an error (a full disk, a bad directory)
// never leaves a half-written handout behind. The OS error stays in the
// chain (errors.Is(err, fs.ErrNotExist), ...).
func writeAtomic(path string, b []byte) error {
	err := atomicfile.WriteFile(path, b)
	var pe *fs.PathError
	switch {
	case err == nil:
		return nil
	case errors.Is(err, atomicfile.ErrIsDir):
		return tensor.Errorf(tensor.ErrValue, "viz: Save: %s is a directory; give a file name", path)
	case errors.As(err, &pe):
		err = pe.Err // the path is in the message already
	}
	return tensor.Errorf(tensor.ErrValue, "viz: Save: cannot write %s: %w", path, err)
}

// Encode returns the figure in the format named by ext (".png", ".svg",
// ".pdf", ".html").
func (f *Figure) Encode(ext string) (b []byte, err error) {
	if f == nil {
		return nil, tensor.Errorf(tensor.ErrValue, "viz: nil *Figure")
	}
	if f.err != nil {
		return nil, f.err
	}
	defer func() {
		if r := recover(); r != nil {
			err = tensor.Errorf(tensor.ErrValue, "viz: writing %s failed: %v", ext, r)
		}
	}()
	switch ext {
	case ".png":
		return f.png, nil
	case ".svg":
		return f.page.SVG()
	case ".pdf":
		return f.page.PDF()
	case ".html":
		if f.html != nil {
			if b, err := f.html.page(); err == nil {
				return insertBeforeBody(b, warningsHTML(f.warnings)), nil
			}
		}
		var buf bytes.Buffer
		h := f.HTML()
		if strings.HasPrefix(strings.TrimSpace(strings.ToLower(h)), "<!doctype") {
			buf.WriteString(h)
		} else {
			buf.WriteString("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>")
			buf.WriteString(html.EscapeString(f.makeCaption()))
			buf.WriteString("</title></head><body>\n")
			buf.WriteString(h)
			buf.WriteString("\n</body></html>\n")
		}
		return buf.Bytes(), nil
	}
	return nil, tensor.Errorf(tensor.ErrValue, "viz: cannot save as %q: want a file name ending in .png, .svg, .pdf or .html", ext)
}

// insertBeforeBody puts s just before a page's closing </body>.
func insertBeforeBody(page []byte, s string) []byte {
	i := bytes.LastIndex(page, []byte("</body>"))
	if s == "" || i < 0 {
		return page
	}
	return append(append(append([]byte(nil), page[:i]...), s...), page[i:]...)
}

// ---- the interactive HTML

// EChartsVersion is the version of the ECharts script embedded in viz.
const EChartsVersion = echarts.Version

// EChartsLicense returns the licence and notice texts of the JavaScript the
// interactive figures carry: the custom ECharts build (Apache-2.0, with a
// BSD-3-Clause d3 part; ZRender, BSD-3-Clause; tslib, 0BSD) and fflate (MIT).
func EChartsLicense() string { return echarts.License() }

// ScriptInEveryFigure is kept so that older notebooks still run.
//
// Deprecated: every figure carries the (compressed, ≈ 260 kB) ECharts build
// and draws on its own, in Colab's per-output frames too; this does nothing.
func ScriptInEveryFigure(on bool) {}

// ResendScript is kept so that older notebooks still run.
//
// Deprecated: every figure carries the ECharts build, so a cleared output or
// a reloaded page no longer leaves later figures without it; this does
// nothing.
func ResendScript() {}

// EChartsFrom is kept so that older notebooks still run.
//
// Deprecated: every figure carries its own compact ECharts build (offline);
// loading it from a URL is no longer supported and this does nothing.
func EChartsFrom(url string) {}

// maxFallbackPNG: a notebook fragment carries the figure's PNG as a
// fallback (shown where scripts do not run: untrusted notebooks, GitHub's
// preview) when the PNG is at most this big.
const maxFallbackPNG = 256 << 10

// lazyHTML writes a figure's interactive HTML on first use (its view's
// interactive writer, then echarts) and keeps it. It never panics.
//
// The once-guard is a func made by sync.OnceFunc, not a sync.Once field:
// the kernel's interpreter (gomacro) walks a figure's type through its
// fields, and a field of a type from package sync makes it load that
// package's source types and warn, in every notebook that imports viz, that
// it skips sync's generic functions (TestLessons fails on any such warning).
type lazyHTML struct {
	f     *Figure
	do    func()
	chart *echarts.Chart
	frag  []byte
	err   error
}

func newLazyHTML(f *Figure) *lazyHTML {
	l := &lazyHTML{f: f}
	l.do = sync.OnceFunc(func() {
		defer func() {
			if r := recover(); r != nil {
				l.err = fmt.Errorf("viz: interactive view failed: %v", r)
			}
		}()
		l.chart = l.f.view.interactive(l.f, ioptsFrom(l.f))
		l.frag, l.err = echarts.Fragment(l.chart)
	})
	return l
}

func (l *lazyHTML) get() (*echarts.Chart, []byte, error) {
	l.do()
	return l.chart, l.frag, l.err
}

// fragment returns the notebook HTML (self-sufficient: it carries the
// library, see package echarts).
func (l *lazyHTML) fragment() (s string, err error) {
	defer func() {
		if r := recover(); r != nil {
			s, err = "", fmt.Errorf("viz: interactive view failed: %v", r)
		}
	}()
	_, frag, err := l.get()
	if err != nil {
		return "", err
	}
	return string(frag), nil
}

// page returns a standalone HTML document. A long heatmap's page carries
// more of its cells than its notebook output (a page has no IOPub limit):
// its chart is made for the page alone.
func (l *lazyHTML) page() (b []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			b, err = nil, fmt.Errorf("viz: interactive view failed: %v", r)
		}
	}()
	if h, ok := l.f.data.(*heatmapData); ok && max(h.rows, h.cols) > overviewMax {
		o := ioptsFrom(l.f)
		o.page = true
		return echarts.Page(l.f.view.interactive(l.f, o))
	}
	c, _, err := l.get()
	if err != nil {
		return nil, err
	}
	return echarts.Page(c)
}

// warningsHTML is the caption line under an interactive chart that lists
// the figure's warnings (as the static figure's caption does), or "".
func warningsHTML(warnings []string) string {
	if len(warnings) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString(`<div class="attnviz-caption" style="font:12px sans-serif;margin:4px 0">`)
	for i, w := range warnings {
		if i > 0 {
			b.WriteString("<br>")
		}
		b.WriteString("warning: ")
		b.WriteString(html.EscapeString(w))
	}
	b.WriteString("</div>\n")
	return b.String()
}

// iopts is what an interactive chart is written from: the figure's
// options translated (ioptsFrom), or set directly by tests.
type iopts struct {
	title       string
	q, k        []string
	theme       string   // "light" or "dark"
	pal         []string // palette stops, hex
	lo, hi      float64
	hasRange    bool
	pin         int // query row pinned at start, -1 none
	layer, head int
	heads       []int // heads shown in the head view (nil: all)
	width       int
	height      int
	scores      []float32 // raw scores (same shape as the weights) for tooltips
	label       string    // what a cell holds: "weight" or "score"
	rowName     string    // heatmap: what the rows are ("" = "query")
	colName     string    // heatmap: what the columns are ("" = "key")
	layerNames  []string
	headNames   []string
	fallbackPNG []byte
	diverging   bool // centre the colour range on 0
	shared      bool // one colour scale for every head (explorer)
	annotate    bool // write the values in the cells (heatmap) or on the bars (steps)
	page        bool // for a saved page (larger budgets), not a notebook output
}

func newIopts() *iopts {
	return &iopts{theme: "light", pin: -1, label: "weight"}
}

// ioptsFrom translates the figure's options.
func ioptsFrom(f *Figure) *iopts {
	c := &f.cfg
	o := newIopts()
	o.title = c.title
	o.q, o.k = c.qTok, c.kTok
	if c.theme == Dark {
		o.theme = "dark"
	}
	if c.cmap != nil {
		o.pal = hexStops(c.cmap)
		o.diverging = c.cmap.Diverging()
	}
	if c.has(optRange) && c.hi > c.lo && !math.IsInf(c.lo, 0) && !math.IsInf(c.hi, 0) {
		o.lo, o.hi, o.hasRange = c.lo, c.hi, true
	}
	if c.sizeSet {
		o.width, o.height = min(max(c.w, 320), 4096), min(max(c.h, 160), 4096)
	}
	o.shared = c.shared
	if len(f.png) > 0 && len(f.png) <= maxFallbackPNG {
		o.fallbackPNG = f.png
	}
	return o
}

// colourRange picks the colour range: the option's, else [0, max] for
// probabilities, else the data's (symmetric around 0 for a diverging palette).
func (o *iopts) colourRange(v []float32) (float64, float64) {
	if o.hasRange && o.hi > o.lo {
		return o.lo, o.hi // no pass over the values
	}
	lo, hi := finiteRange(v)
	return o.colourRangeOf(lo, hi)
}

// colourRangeOf is colourRange for data already scanned to [lo, hi] (the
// pooled heatmap reads its range in the pass that pools).
func (o *iopts) colourRangeOf(lo, hi float64) (float64, float64) {
	if o.hasRange && o.hi > o.lo {
		return o.lo, o.hi
	}
	if lo >= 0 && hi <= 1 {
		lo = 0
		if hi <= 0 {
			hi = 1
		}
	}
	if o.diverging {
		m := math.Max(math.Abs(lo), math.Abs(hi))
		lo, hi = -m, m
	}
	if hi <= lo {
		hi = lo + 1
	}
	return lo, hi
}

// palette returns the chosen palette's stops (def when none was chosen)
// and keeps them in o.
func (o *iopts) palette(def *Colormap) []string {
	if len(o.pal) == 0 {
		o.pal = hexStops(def)
	}
	return o.pal
}

func (o *iopts) size(w, h int) (int, int) {
	if o.width > 0 {
		w = o.width
	}
	if o.height > 0 {
		h = o.height
	}
	return w, h
}

// specBase is what the spec of every interactive view begins with.
type specBase struct {
	Title string   `json:"title"`
	Q     []string `json:"q"`
	K     []string `json:"k"`
}

func (o *iopts) base() specBase { return specBase{Title: o.title, Q: o.q, K: o.k} }

// chart is the echarts chart of a view with the common fields from o.
func (o *iopts) chart(kind string, w, h int, spec any, arrays ...echarts.Array) *echarts.Chart {
	w, h = o.size(w, h)
	return &echarts.Chart{Kind: kind, Title: o.title, Width: w, Height: h, Theme: o.theme, Spec: spec, Arrays: arrays, Fallback: o.fallbackPNG}
}

func hexStops(c *Colormap) []string {
	if c == nil || len(c.stops) == 0 {
		c = Viridis
	}
	out := make([]string, len(c.stops))
	for i, v := range c.stops {
		out[i] = fmt.Sprintf("#%06x", v&0xffffff)
	}
	return out
}

// ---- reading and checking what a view is given

// pluralInputs are the names of inputs that take a plural verb ("the
// weights hold NaN"); the others take a singular one ("the attention
// holds NaN", "Q holds NaN").
var pluralInputs = map[string]bool{"the weights": true, "the scores": true, "the encodings": true}

// verb agrees a verb given in the singular ("holds") with the input what.
func verb(what, v string) string { return english.Verb(pluralInputs[what], v) }

// read returns a tensor's values (row-major) and shape, or a friendly error
// that keeps the tensor's own error in its chain.
func read(view, what string, t *tensor.Tensor) ([]float32, []int, error) {
	if t == nil {
		return nil, nil, tensor.Errorf(tensor.ErrValue, "viz.%s: %s %s nil; pass a *tensor.Tensor", view, what, verb(what, "is"))
	}
	if err := t.Err(); err != nil {
		return nil, nil, fmt.Errorf("viz.%s: %s %s an error: %w", view, what, verb(what, "carries"), err)
	}
	d, err := t.DataErr()
	if err != nil {
		return nil, nil, fmt.Errorf("viz.%s: cannot read %s: %w", view, what, err)
	}
	shape := t.Shape()
	for _, s := range shape {
		if s == 0 {
			return nil, nil, tensor.Errorf(tensor.ErrShape, "viz.%s: %s %s empty (shape %v); there is nothing to draw", view, what, verb(what, "is"), shape)
		}
	}
	return d, shape, nil
}

// read2D reads a [rows × cols] matrix (leading dimensions of size 1 are
// dropped); want names it in the message of any other shape, which gives
// the shape as it was passed.
func read2D(view, what, want string, t *tensor.Tensor) (d []float32, rows, cols int, err error) {
	d, shape, err := read(view, what, t)
	if err != nil {
		return nil, 0, 0, err
	}
	if sq := squeezeLead(shape, 2); len(sq) == 2 {
		return d, sq[0], sq[1], nil
	}
	return nil, 0, 0, shapeErr(view, want, shape, rankHint(shape))
}

// read2DShared is read2D without a copy where the tensor allows it
// (tensor.ReadOnlyData): the caller must not change the values.
func read2DShared(view, what, want string, t *tensor.Tensor) (d []float32, rows, cols int, err error) {
	if t == nil || t.Err() != nil {
		return read2D(view, what, want, t)
	}
	shape := t.Shape()
	for _, s := range shape {
		if s == 0 {
			return read2D(view, what, want, t)
		}
	}
	sq := squeezeLead(shape, 2)
	if len(sq) != 2 {
		return nil, 0, 0, shapeErr(view, want, shape, rankHint(shape))
	}
	d, err = t.ReadOnlyData()
	if err != nil {
		return nil, 0, 0, fmt.Errorf("viz.%s: cannot read %s: %w", view, what, err)
	}
	return d, sq[0], sq[1], nil
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
		return fmt.Sprintf("it is %s: pick a head with w.Index(h) (0 ≤ h < %d), or draw them all with viz.Grid", axesHTT, shape[0])
	case 4:
		return fmt.Sprintf("it is %s (or %s, one layer of a batch): pick a head with w.Index(l, h) (0 ≤ l < %d, 0 ≤ h < %d), or draw them all with viz.Grid",
			axesLHTT, axesBHTT, shape[0], shape[1])
	case 5:
		return fmt.Sprintf("it is %s: pick a head with w.Index(l, b, h) (0 ≤ l < %d, 0 ≤ b < %d, 0 ≤ h < %d), or draw a sentence's heads with viz.Grid(w, viz.Batch(b))",
			axesLBHTT, shape[0], shape[1], shape[2])
	}
	return ""
}

// shapeErr says what shape was wanted and what was given.
func shapeErr(view, want string, got []int, hint string) error {
	msg := fmt.Sprintf("viz.%s: want %s, got shape %v", view, want, got)
	if hint != "" {
		msg += "; " + hint
	}
	return tensor.Errorf(tensor.ErrShape, "%s", msg)
}

// checkValues refuses NaN and +Inf (−Inf is allowed when allowNegInf: it
// marks a masked score). It returns the position of the first bad value.
func checkValues(view, what string, d []float32, shape []int, allowNegInf bool) error {
	const maxF = math.MaxFloat32
	for i, v := range d {
		if v >= -maxF && v <= maxF { // finite (NaN fails both)
			continue
		}
		if allowNegInf && v < 0 {
			continue
		}
		return tensor.Errorf(tensor.ErrValue, "viz.%s: %s %s %v at %v; every value must be a finite number (look for a division by zero or an overflow before this step)", view, what, verb(what, "holds"), v, unravel(i, shape))
	}
	return nil
}

// checkProbs refuses negative weights where probabilities are expected and
// warns about rows that do not sum to 1.
func checkProbs(f *Figure, view, what string, d []float32, shape []int) error {
	for i, v := range d {
		if v < 0 {
			return tensor.Errorf(tensor.ErrValue, "viz.%s: %s should be attention weights (probabilities ≥ 0), but %s %v at %v; pass the softmax output, or use viz.Heatmap to draw raw scores", view, what, verb(what, "holds"), v, unravel(i, shape))
		}
	}
	rowSumWarning(f, d, shape[len(shape)-1])
	return nil
}

func rowSumWarning(f *Figure, d []float32, n int) {
	if n <= 0 {
		return
	}
	_, sums := scanRows(d, n, true)
	warnSums(f, sums)
}

func warnSums(f *Figure, sums []float64) {
	bad, first := 0, ""
	for r, s := range sums {
		if s != 0 && math.Abs(s-1) > 1e-3 {
			if bad == 0 {
				first = fmt.Sprintf("row %d sums to %.4g", r, s)
			}
			bad++
		}
	}
	if bad > 0 {
		more := ""
		if bad > 1 {
			more = fmt.Sprintf(" (and %d more rows)", bad-1)
		}
		f.warn("%s%s, not 1: are these softmax weights?", first, more)
	}
}

func unravel(i int, shape []int) []int {
	idx := make([]int, len(shape))
	for d := len(shape) - 1; d >= 0; d-- {
		if shape[d] > 0 {
			idx[d] = i % shape[d]
			i /= shape[d]
		}
	}
	return idx
}

// tokenCountErr checks the Tokens and KeyTokens counts against the matrix.
func tokenCountErr(view string, cfg *config, rows, cols int) error {
	var probs []string
	if cfg.has(optTokens) && len(cfg.qTok) != rows {
		probs = append(probs, fmt.Sprintf("%s for %s", english.Count(len(cfg.qTok), "query token"), english.Count(rows, "row")))
	}
	if cfg.has(optTokens|optKeyTokens) && len(cfg.kTok) != cols {
		probs = append(probs, fmt.Sprintf("%s for %s", english.Count(len(cfg.kTok), "key token"), english.Count(cols, "column")))
	}
	if len(probs) == 0 {
		return nil
	}
	hint := ""
	if !cfg.has(optKeyTokens) && rows != cols {
		hint = " (keys that are other tokens than the queries: add viz.KeyTokens)"
	}
	return tensor.Errorf(tensor.ErrShape, "viz.%s: token count does not match the matrix: %s; pass one token per row and per column%s", view, strings.Join(probs, " and "), hint)
}

// checkQuery returns the query row a view shows: the Query option (which
// must lie in 0 … rows−1), else def.
func checkQuery(view string, cfg *config, rows, def int, what string) (int, error) {
	if !cfg.has(optQuery) {
		return def, nil
	}
	if cfg.query < 0 || cfg.query >= rows {
		return 0, tensor.Errorf(tensor.ErrValue, "viz.%s: Query(%d) is outside the %s; use 0 … %d", view, cfg.query, english.Count(rows, what), rows-1)
	}
	return cfg.query, nil
}

// readMask reads a mask as a [rows, cols] boolean "blocked" slice (nil
// for a nil mask).
func readMask(view string, mask *tensor.Tensor, rows, cols int) ([]bool, error) {
	if mask == nil {
		return nil, nil
	}
	d, shape, err := read(view, "the mask", mask)
	if err != nil {
		return nil, err
	}
	// accept [cols] / [1, cols] (padding) and [rows, cols], with leading 1s
	shape = squeezeLead(shape, 2)
	switch {
	case len(shape) == 2 && shape[0] == rows && shape[1] == cols:
	case len(shape) == 2 && shape[0] == 1 && shape[1] == cols, len(shape) == 1 && shape[0] == cols:
		full := make([]float32, rows*cols)
		for r := 0; r < rows; r++ {
			copy(full[r*cols:], d[:cols])
		}
		d = full
	default:
		return nil, shapeErr(view, fmt.Sprintf("a mask of shape [%d %d] (1 = may attend, 0 = blocked)", rows, cols), shape, "build one with tensor.CausalMask(n) or tensor.PaddingMask")
	}
	out := make([]bool, rows*cols)
	for i, v := range d {
		out[i] = v == 0
	}
	return out, nil
}

// minMax returns the range of the finite values not skipped.
func minMax(d []float32, skip []bool) (lo, hi float64, ok bool) {
	const maxF = math.MaxFloat32
	l, h := float32(maxF), float32(-maxF)
	seen := false
	for i, v := range d {
		if !(v >= -maxF && v <= maxF) || (skip != nil && skip[i]) {
			continue
		}
		seen = true
		if v < l {
			l = v
		}
		if v > h {
			h = v
		}
	}
	return float64(l), float64(h), seen
}

// finiteRange is the range of the finite values of v, or [0, 1] when there
// are none.
func finiteRange(v []float32) (lo, hi float64) {
	if lo, hi, ok := minMax(v, nil); ok {
		return lo, hi
	}
	return 0, 1
}

// scale0 is the upper end of a colour scale that starts at 0: the finite
// maximum of v, or 1 when that is not positive.
func scale0(v []float32) float64 {
	if _, hi, _ := minMax(v, nil); hi > 0 {
		return hi
	}
	return 1
}
