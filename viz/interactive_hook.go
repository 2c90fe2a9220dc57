package viz

import (
	"fmt"
	"html"
	"math"
	"strings"

	"github.com/attnviz/attnviz/viz/internal/echarts"
)

// The interactive writer registers itself with figure.go's build: every
// figure whose view has an interactive form gets a lazy HTML writer (the
// chart is encoded on the first HTML()/Save(".html"), then cached).
func init() { attachInteractive = interactiveFor }

// maxFallbackPNG: a notebook fragment carries the figure's PNG as a
// fallback (shown where scripts do not run: untrusted notebooks, GitHub's
// preview) when the PNG is at most this big.
const maxFallbackPNG = 256 << 10

func interactiveFor(f *Figure) func() (string, error) {
	if f == nil || f.err != nil {
		return nil
	}
	var build func() (*echarts.Chart, error)
	switch f.kind {
	case "heatmap":
		build = func() (*echarts.Chart, error) { return heatmapFromFigure(f) }
	case "grid", "explorer":
		build = func() (*echarts.Chart, error) { return explorerFromFigure(f) }
	case "headview":
		build = func() (*echarts.Chart, error) { return headViewFromFigure(f) }
	case "steps":
		build = func() (*echarts.Chart, error) { return stepsFromFigure(f) }
	case "strip":
		build = func() (*echarts.Chart, error) { return stripFromFigure(f) }
	default:
		return nil
	}
	l := &lazyHTML{build: build}
	note := warningsHTML(f.warnings)
	f.interactivePage = func() (string, error) {
		b, err := l.page()
		s := string(b)
		if err == nil && note != "" {
			if i := strings.LastIndex(s, "</body>"); i >= 0 {
				s = s[:i] + note + s[i:]
			}
		}
		return s, err
	}
	if note == "" {
		return l.fragment
	}
	return func() (string, error) {
		s, err := l.fragment()
		if err != nil {
			return s, err
		}
		return s + note, nil
	}
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

func (f *Figure) mat(name string) *matrix {
	for i := range f.mats {
		if f.mats[i].name == name {
			return &f.mats[i]
		}
	}
	return nil
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

// ioptsFrom translates the Figure's options.
func ioptsFrom(f *Figure, view string) *iopts {
	c := &f.cfg
	o := newIopts(view)
	o.title = c.title
	o.q, o.k = c.qTok, c.kTok
	if c.theme == Dark {
		o.theme = "dark"
	}
	if c.cmap != nil {
		o.pal = hexStops(c.cmap)
		o.diverging = c.cmap.Diverging()
	}
	if c.rangeSet && c.hi > c.lo && !math.IsInf(c.lo, 0) && !math.IsInf(c.hi, 0) {
		o.lo, o.hi, o.hasRange = c.lo, c.hi, true
	}
	if c.sizeSet {
		o.width, o.height = clampInt(c.w, 320, 4096), clampInt(c.h, 160, 4096)
	}
	if c.sharedSet {
		o.shared = c.shared
	}
	if len(f.png) > 0 && len(f.png) <= maxFallbackPNG {
		o.fallbackPNG = f.png
	}
	return o
}

func clampInt(v, lo, hi int) int {
	if v < lo {
		return lo
	}
	if v > hi {
		return hi
	}
	return v
}

func heatmapFromFigure(f *Figure) (*echarts.Chart, error) {
	m := f.mat("weights")
	if m == nil || len(m.shape) != 2 {
		return nil, errNoInteractive
	}
	o := ioptsFrom(f, "viz.Heatmap")
	rows, cols := m.shape[0], m.shape[1]
	d := m.data
	// Masked cells (the Mask option) travel as NaN: drawn grey, "masked" in tooltips.
	if masked, err := readMask("Heatmap", &f.cfg, rows, cols); err == nil && masked != nil {
		d = append([]float32(nil), d...)
		for i, b := range masked {
			if b {
				d[i] = float32(math.NaN())
			}
		}
	}
	lo, hi, _ := finiteRange(d)
	if f.cfg.values {
		// plain values (Values, Axes): the static view's names and scale
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
		}
	}
	if f.cfg.highlightSet {
		o.pin = f.cfg.highlight
	}
	return heatmapChart(d, rows, cols, o)
}

// stack4 reads a [L,H,T,Tk] (or [H,T,Tk], [T,Tk]) matrix.
func stack4(m *matrix) (L, H, T, Tk int, ok bool) {
	switch len(m.shape) {
	case 4:
		return m.shape[0], m.shape[1], m.shape[2], m.shape[3], true
	case 3:
		return 1, m.shape[0], m.shape[1], m.shape[2], true
	case 2:
		return 1, 1, m.shape[0], m.shape[1], true
	}
	return 0, 0, 0, 0, false
}

func explorerFromFigure(f *Figure) (*echarts.Chart, error) {
	m := f.mat("attention")
	if m == nil {
		return nil, errNoInteractive
	}
	L, H, T, Tk, ok := stack4(m)
	if !ok {
		return nil, errNoInteractive
	}
	o := ioptsFrom(f, "viz.Explorer")
	if len(f.cfg.layers) > 0 {
		o.layer = f.cfg.layers[0]
	}
	if len(f.cfg.heads) > 0 {
		o.head = f.cfg.heads[0]
	}
	return explorerChart(m.data, L, H, T, Tk, o)
}

func headViewFromFigure(f *Figure) (*echarts.Chart, error) {
	m := f.mat("attention")
	if m == nil {
		return nil, errNoInteractive
	}
	L, H, T, Tk, ok := stack4(m)
	if !ok {
		return nil, errNoInteractive
	}
	o := ioptsFrom(f, "viz.HeadView")
	if len(f.cfg.layers) > 0 {
		o.layer = f.cfg.layers[0]
	}
	o.heads = f.cfg.heads
	o.colors = make([]string, len(HeadColors))
	for i, c := range HeadColors {
		o.colors[i] = fmt.Sprintf("#%02x%02x%02x", c.R, c.G, c.B)
	}
	return headViewChart(m.data, L, H, T, Tk, o)
}

func stepsFromFigure(f *Figure) (*echarts.Chart, error) {
	q, k, v := f.mat("q"), f.mat("k"), f.mat("v")
	if q == nil || k == nil || v == nil || len(q.shape) != 2 || len(k.shape) != 2 || len(v.shape) != 2 {
		return nil, errNoInteractive
	}
	var mask []float32
	if m := f.mat("mask"); m != nil {
		mask = m.data
	}
	o := ioptsFrom(f, "viz.Steps")
	if f.cfg.querySet {
		o.pin = f.cfg.query
	}
	if o.title == "" {
		o.title = "softmax(QKᵀ/√dₖ)·V, one query at a time"
	}
	return stepsChart(q.data, k.data, v.data, q.shape[0], k.shape[0], q.shape[1], v.shape[1], mask, o)
}

func stripFromFigure(f *Figure) (*echarts.Chart, error) {
	o := ioptsFrom(f, "viz.TokenStrip")
	if full := f.mat("matrix"); full != nil && len(full.shape) == 2 {
		T, Tk := full.shape[0], full.shape[1]
		o.pin = T - 1
		if f.cfg.querySet {
			o.pin = f.cfg.query
		}
		return stripChart(full.data, T, Tk, o)
	}
	m := f.mat("weights")
	if m == nil || len(m.shape) != 1 {
		return nil, errNoInteractive
	}
	// One row: a strip without a choice of query.
	Tk := m.shape[0]
	q := "query"
	if f.cfg.querySet {
		q = fmt.Sprintf("query %d", f.cfg.query)
		if f.cfg.kSet && f.cfg.query >= 0 && f.cfg.query < len(f.cfg.kTok) {
			q = f.cfg.kTok[f.cfg.query]
		}
	}
	o.q = []string{q}
	o.pin = 0
	if o.k == nil {
		o.k = make([]string, Tk)
		for i := range o.k {
			o.k[i] = fmt.Sprint(i)
		}
	}
	return stripChart(m.data, 1, Tk, o)
}
