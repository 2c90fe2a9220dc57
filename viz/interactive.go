package viz

// Interactive (ECharts) views. The functions here take host data (row-major
// []float32 plus shapes, tokens and options) and build an echarts.Chart; the
// Figure constructors hook them in through interactive_hook.go, and
// HeadView/Explorer (interactive_views.go) exist only interactively.

import (
	"errors"
	"fmt"
	"math"
	"sync"

	"github.com/attnviz/attnviz/tensor"
	"github.com/attnviz/attnviz/viz/internal/echarts"
)

// EChartsVersion is the version of the ECharts script embedded in viz.
const EChartsVersion = echarts.Version

// EChartsLicense returns the licence and notice texts of the JavaScript the
// interactive figures carry: the custom ECharts build (Apache-2.0, with a
// BSD-3-Clause d3 part; ZRender, BSD-3-Clause; tslib, 0BSD) and fflate (MIT).
func EChartsLicense() string { return echarts.License() }

// ScriptInEveryFigure is kept so that older notebooks still run.
//
// Deprecated: every figure carries the (compressed, ≈ 200 kB) ECharts build
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

// iopts holds what the interactive views need; it is filled from the
// Figure's options (interactive_hook.go) or directly by tests.
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
	colors      []string // head colours
	fallbackPNG []byte
	diverging   bool   // centre the colour range on 0
	shared      bool   // one colour scale for every head (explorer)
	view        string // caller's name for messages
	annotate    bool   // write the values in the cells (heatmap) or on the bars (steps)
	warnings    []string
}

func newIopts(view string) *iopts {
	return &iopts{view: view, theme: "light", pin: -1, label: "weight"}
}

var (
	// headColors: 20 colours from Paul Tol's bright/muted sets and Okabe–Ito,
	// ordered so that neighbouring heads differ in hue and lightness.
	headColors = []string{"#4477AA", "#EE6677", "#228833", "#CCBB44", "#66CCEE", "#AA3377", "#E69F00", "#009E73",
		"#0072B2", "#D55E00", "#CC79A7", "#332288", "#117733", "#999933", "#882255", "#44AA99", "#88CCEE", "#DDCC77", "#AA4499", "#BBBBBB"}
	stepColors = []string{"#4477AA", "#66CCEE", "#228833", "#CC6677"}
)

func ierr(kind error, format string, a ...any) error {
	return tensor.Errorf(kind, format, a...)
}

// finiteRange returns the min and max of the finite values of v.
func finiteRange(v []float32) (lo, hi float64, ok bool) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, x := range v {
		f := float64(x)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			continue
		}
		if f < lo {
			lo = f
		}
		if f > hi {
			hi = f
		}
	}
	if lo > hi {
		return 0, 1, false
	}
	return lo, hi, true
}

// colourRange picks the colour range: the option's, else [0, max] for
// probabilities, else the data's (symmetric around 0 for a diverging palette).
func (o *iopts) colourRange(v []float32) (float64, float64) {
	if o.hasRange && o.hi > o.lo {
		return o.lo, o.hi
	}
	lo, hi, _ := finiteRange(v)
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

func (o *iopts) palette(def []string) []string {
	if len(o.pal) > 0 {
		return o.pal
	}
	return def
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

func checkTokens(view, which string, toks []string, n int) error {
	if toks != nil && len(toks) != n {
		return ierr(tensor.ErrShape, "%s: want %d %s tokens (one per row/column), got %d; pass viz.Tokens with matching lists", view, n, which, len(toks))
	}
	return nil
}

func checkLen(view string, v []float32, want int, shape string) error {
	if want <= 0 {
		return ierr(tensor.ErrShape, "%s: want a non-empty %s array, got %d values", view, shape, len(v))
	}
	if len(v) != want {
		return ierr(tensor.ErrShape, "%s: want %d values for shape %s, got %d", view, want, shape, len(v))
	}
	return nil
}

type heatSpec struct {
	Title string   `json:"title"`
	Q     []string `json:"q"`
	K     []string `json:"k"`
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

// heatmapChart: w is [rows, cols] row-major (queries × keys).
func heatmapChart(w []float32, rows, cols int, o *iopts) (*echarts.Chart, error) {
	if err := checkLen(o.view, w, rows*cols, fmt.Sprintf("[%d %d]", rows, cols)); err != nil {
		return nil, err
	}
	if err := checkTokens(o.view, "query", o.q, rows); err != nil {
		return nil, err
	}
	if err := checkTokens(o.view, "key", o.k, cols); err != nil {
		return nil, err
	}
	if o.pal == nil {
		// Raw scores (negative values) get the diverging map centred on 0,
		// as in the static heatmap.
		if dlo, _, _ := finiteRange(w); dlo < 0 {
			o.pal, o.diverging = hexStops(Diverging), true
		}
	}
	pal := o.palette(hexStops(Viridis))
	o.pal = pal
	lo, hi := o.colourRange(w)
	arrays := []echarts.Array{echarts.Auto("w", w, lo, hi)}
	if o.scores != nil {
		if err := checkLen(o.view+" scores", o.scores, rows*cols, fmt.Sprintf("[%d %d]", rows, cols)); err != nil {
			return nil, err
		}
		slo, shi, _ := finiteRange(o.scores)
		arrays = append(arrays, echarts.Auto("s", o.scores, slo, shi))
	}
	wd, ht := o.size(760, 640)
	return &echarts.Chart{Kind: "heatmap", Title: o.title, Width: wd, Height: ht, Theme: o.theme,
		Spec: heatSpec{Title: o.title, Q: o.q, K: o.k, Rows: rows, Cols: cols, Lo: lo, Hi: hi, Pal: pal, Label: o.label, Pin: o.pin,
			RowName: o.rowName, ColName: o.colName, Annot: o.annotate, Dec: decimalsFor(math.Max(math.Abs(lo), math.Abs(hi)))},
		Arrays: arrays, Fallback: o.fallbackPNG}, nil
}

type explorerSpec struct {
	Title      string   `json:"title"`
	Q          []string `json:"q"`
	K          []string `json:"k"`
	L          int      `json:"L"`
	H          int      `json:"H"`
	T          int      `json:"T"`
	Tk         int      `json:"Tk"`
	Layer      int      `json:"layer"`
	Head       int      `json:"head"`
	Shared     bool     `json:"shared"`
	Lo         float64  `json:"lo"`
	Hi         float64  `json:"hi"`
	Pal        []string `json:"pal"`
	LayerNames []string `json:"layerNames,omitempty"`
	HeadNames  []string `json:"headNames,omitempty"`
}

// checkStack checks an [L, H, T, Tk] stack's length and its query and key
// tokens, for the views that show every layer and head.
func checkStack(att []float32, L, H, T, Tk int, o *iopts) error {
	if err := checkLen(o.view, att, L*H*T*Tk, fmt.Sprintf("[%d %d %d %d]", L, H, T, Tk)); err != nil {
		return err
	}
	if err := checkTokens(o.view, "query", o.q, T); err != nil {
		return err
	}
	return checkTokens(o.view, "key", o.k, Tk)
}

// explorerChart: att is [L, H, T, Tk]; each head has its own colour scale
// unless o.shared.
func explorerChart(att []float32, L, H, T, Tk int, o *iopts) (*echarts.Chart, error) {
	if err := checkStack(att, L, H, T, Tk, o); err != nil {
		return nil, err
	}
	if o.layer < 0 || o.layer >= L || o.head < 0 || o.head >= H {
		return nil, ierr(tensor.ErrValue, "%s: layer %d, head %d is outside [0,%d)×[0,%d); pick viz.Layers/viz.Heads inside the tensor", o.view, o.layer, o.head, L, H)
	}
	pal := o.palette(hexStops(Viridis))
	o.pal = pal
	lo, hi := o.colourRange(att)
	wd, ht := o.size(1100, 620)
	return &echarts.Chart{Kind: "explorer", Title: o.title, Width: wd, Height: ht, Theme: o.theme,
		Spec: explorerSpec{Title: o.title, Q: o.q, K: o.k, L: L, H: H, T: T, Tk: Tk, Layer: o.layer, Head: o.head, Shared: o.shared, Lo: lo, Hi: hi, Pal: pal,
			LayerNames: o.layerNames, HeadNames: o.headNames},
		Arrays: []echarts.Array{echarts.Auto("w", att, lo, hi)}, Fallback: o.fallbackPNG}, nil
}

type headSpec struct {
	Title      string   `json:"title"`
	Q          []string `json:"q"`
	K          []string `json:"k"`
	L          int      `json:"L"`
	H          int      `json:"H"`
	T          int      `json:"T"`
	Tk         int      `json:"Tk"`
	Layer      int      `json:"layer"`
	Heads      []int    `json:"heads"`
	Colors     []string `json:"colors"`
	LayerNames []string `json:"layerNames,omitempty"`
}

// headViewChart: att is [L, H, T, Tk] weights in [0, 1].
func headViewChart(att []float32, L, H, T, Tk int, o *iopts) (*echarts.Chart, error) {
	if err := checkStack(att, L, H, T, Tk, o); err != nil {
		return nil, err
	}
	if o.layer < 0 || o.layer >= L {
		return nil, ierr(tensor.ErrValue, "%s: layer %d is outside [0,%d); pick a layer inside the tensor", o.view, o.layer, L)
	}
	for _, h := range o.heads {
		if h < 0 || h >= H {
			return nil, ierr(tensor.ErrValue, "%s: head %d is outside [0,%d); pick heads inside the tensor", o.view, h, H)
		}
	}
	cols := o.colors
	if len(cols) == 0 {
		cols = headColors
	}
	wd, ht := o.size(720, 560)
	// Weights are opacities: u8 over [0,1] is exact to 1/254, plenty for alpha.
	var arr echarts.Array
	if len(att) <= echarts.U8Threshold {
		arr = echarts.F32("w", att)
	} else {
		arr = echarts.U8("w", att, 0, 1)
	}
	return &echarts.Chart{Kind: "headview", Title: o.title, Width: wd, Height: ht, Theme: o.theme,
		Spec: headSpec{Title: o.title, Q: o.q, K: o.k, L: L, H: H, T: T, Tk: Tk, Layer: o.layer, Heads: o.heads, Colors: cols,
			LayerNames: o.layerNames},
		Arrays: []echarts.Array{arr}, Fallback: o.fallbackPNG}, nil
}

type stepsSpec struct {
	Title  string   `json:"title"`
	Q      []string `json:"q"`
	K      []string `json:"k"`
	T      int      `json:"T"`
	Tk     int      `json:"Tk"`
	D      int      `json:"d"`
	Dv     int      `json:"dv"`
	Query  int      `json:"query"`
	Colors []string `json:"colors"`
	Annot  bool     `json:"annot,omitempty"` // each bar carries its value
}

// stepsChart: q [T,d], k [Tk,d], v [Tk,dv], mask [T,Tk] (1 = may attend) or nil.
func stepsChart(q, k, v []float32, T, Tk, d, dv int, mask []float32, o *iopts) (*echarts.Chart, error) {
	if err := checkLen(o.view+" Q", q, T*d, fmt.Sprintf("[%d %d]", T, d)); err != nil {
		return nil, err
	}
	if err := checkLen(o.view+" K", k, Tk*d, fmt.Sprintf("[%d %d]", Tk, d)); err != nil {
		return nil, err
	}
	if err := checkLen(o.view+" V", v, Tk*dv, fmt.Sprintf("[%d %d]", Tk, dv)); err != nil {
		return nil, err
	}
	if mask != nil {
		if err := checkLen(o.view+" mask", mask, T*Tk, fmt.Sprintf("[%d %d]", T, Tk)); err != nil {
			return nil, err
		}
	}
	if err := checkTokens(o.view, "query", o.q, T); err != nil {
		return nil, err
	}
	if err := checkTokens(o.view, "key", o.k, Tk); err != nil {
		return nil, err
	}
	for _, a := range [][]float32{q, k, v} {
		if _, _, ok := finiteRange(a); !ok || hasNonFinite(a) {
			return nil, ierr(tensor.ErrValue, "%s: Q, K and V must be finite numbers; found NaN or ±Inf — check the inputs", o.view)
		}
	}
	qi := 0
	if o.pin >= 0 {
		if o.pin >= T {
			return nil, ierr(tensor.ErrValue, "%s: query %d is outside [0,%d); pick viz.Query inside the sequence", o.view, o.pin, T)
		}
		qi = o.pin
	}
	arrays := []echarts.Array{echarts.F32("q", q), echarts.F32("k", k), echarts.F32("v", v)}
	if mask != nil {
		arrays = append(arrays, echarts.F32("m", mask))
	}
	wd, ht := o.size(820, 700)
	return &echarts.Chart{Kind: "steps", Title: o.title, Width: wd, Height: ht, Theme: o.theme,
		Spec:   stepsSpec{Title: o.title, Q: o.q, K: o.k, T: T, Tk: Tk, D: d, Dv: dv, Query: qi, Colors: stepColors, Annot: o.annotate},
		Arrays: arrays, Fallback: o.fallbackPNG}, nil
}

func hasNonFinite(v []float32) bool {
	for _, x := range v {
		if x != x || x > math.MaxFloat32 || x < -math.MaxFloat32 {
			return true
		}
	}
	return false
}

type stripSpec struct {
	Title string   `json:"title"`
	Q     []string `json:"q"`
	K     []string `json:"k"`
	T     int      `json:"T"`
	Tk    int      `json:"Tk"`
	Query int      `json:"query"`
	Lo    float64  `json:"lo"`
	Hi    float64  `json:"hi"`
	Pal   []string `json:"pal"`
}

// stripChart: w is [T, Tk]; the strip shows row `query` over the key tokens.
func stripChart(w []float32, T, Tk int, o *iopts) (*echarts.Chart, error) {
	if err := checkLen(o.view, w, T*Tk, fmt.Sprintf("[%d %d]", T, Tk)); err != nil {
		return nil, err
	}
	if err := checkTokens(o.view, "query", o.q, T); err != nil {
		return nil, err
	}
	if err := checkTokens(o.view, "key", o.k, Tk); err != nil {
		return nil, err
	}
	qi := T - 1
	if o.pin >= 0 {
		if o.pin >= T {
			return nil, ierr(tensor.ErrValue, "%s: query %d is outside [0,%d); pick viz.Query inside the sequence", o.view, o.pin, T)
		}
		qi = o.pin
	}
	pal := o.palette(hexStops(Viridis))
	o.pal = pal
	lo, hi := o.colourRange(w)
	wd, ht := o.size(760, 160)
	return &echarts.Chart{Kind: "strip", Title: o.title, Width: wd, Height: ht, Theme: o.theme,
		Spec:   stripSpec{Title: o.title, Q: o.q, K: o.k, T: T, Tk: Tk, Query: qi, Lo: lo, Hi: hi, Pal: pal},
		Arrays: []echarts.Array{echarts.Auto("w", w, lo, hi)}, Fallback: o.fallbackPNG}, nil
}

// lazyHTML builds a figure's interactive HTML on first use and caches it.
// The returned function is the Figure's `interactive` hook: each call returns
// the notebook fragment (self-sufficient: it carries the library). It never
// panics.
type lazyHTML struct {
	once  sync.Once
	build func() (*echarts.Chart, error)
	chart *echarts.Chart
	frag  []byte
	err   error
}

func (l *lazyHTML) get() (*echarts.Chart, []byte, error) {
	l.once.Do(func() {
		defer func() {
			if r := recover(); r != nil {
				l.err = fmt.Errorf("viz: interactive view failed: %v", r)
			}
		}()
		l.chart, l.err = l.build()
		if l.err == nil {
			l.frag, l.err = echarts.Fragment(l.chart)
		}
	})
	return l.chart, l.frag, l.err
}

// fragment returns the notebook HTML.
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

// page returns a standalone HTML document.
func (l *lazyHTML) page() (b []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			b, err = nil, fmt.Errorf("viz: interactive view failed: %v", r)
		}
	}()
	c, _, err := l.get()
	if err != nil {
		return nil, err
	}
	return echarts.Page(c)
}

var errNoInteractive = errors.New("viz: this figure has no interactive view")
