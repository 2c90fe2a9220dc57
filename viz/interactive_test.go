package viz

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/attnviz/attnviz/tensor"
	"github.com/attnviz/attnviz/viz/internal/echarts"
)

func init() {
	// The static views' tests may already define -update; share it.
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite golden files")
	}
}

func updateGolden() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

const hostile = `</script><img src=x onerror=alert(1)>`

// demoRand is a small deterministic generator for test data.
type demoRand uint64

func (r *demoRand) next() float64 {
	*r = *r*6364136223846793005 + 1442695040888963407
	return float64(uint64(*r)>>11) / (1 << 53)
}

// demoAttention returns n rows of causal softmax weights (the first row is
// [1 0 0 ...]) and the raw scores they came from.
func demoAttention(seed uint64, rows, cols int, causal bool) (w, s []float32) {
	r := demoRand(seed)
	w = make([]float32, rows*cols)
	s = make([]float32, rows*cols)
	for i := 0; i < rows; i++ {
		mx := math.Inf(-1)
		for j := 0; j < cols; j++ {
			v := (r.next()*2 - 1) * 3
			if j == i-1 || j == 0 {
				v += 2
			}
			if causal && j > i {
				s[i*cols+j] = float32(math.Inf(-1))
				continue
			}
			s[i*cols+j] = float32(v)
			mx = math.Max(mx, float64(float32(v)))
		}
		sum := 0.0
		for j := 0; j < cols; j++ {
			if causal && j > i {
				continue
			}
			sum += math.Exp(float64(s[i*cols+j]) - mx)
		}
		for j := 0; j < cols; j++ {
			if causal && j > i {
				continue
			}
			w[i*cols+j] = float32(math.Exp(float64(s[i*cols+j])-mx) / sum)
		}
	}
	return w, s
}

func demoTokens(n int) []string {
	words := []string{"The", " cat", " sat", " on", " the", " mat", ".", " It", " was", " warm", " and", " soft", "\n"}
	t := make([]string, n)
	for i := range t {
		t[i] = words[i%len(words)]
	}
	return t
}

func demoStack(L, H, T int) []float32 {
	out := make([]float32, 0, L*H*T*T)
	for l := 0; l < L; l++ {
		for h := 0; h < H; h++ {
			w, _ := demoAttention(uint64(1000+l*H+h), T, T, true)
			out = append(out, w...)
		}
	}
	return out
}

// demoCharts is the fixed set of small figures used by the golden and
// browser tests.
func demoCharts(t testing.TB, theme string) map[string]*echarts.Chart {
	t.Helper()
	charts := map[string]*echarts.Chart{}
	toks := demoTokens(9)
	w, s := demoAttention(1, 9, 9, true)
	o := newIopts()
	o.title, o.q, o.k, o.scores, o.theme = "Layer 0 · head 3", toks, toks, s, theme
	charts["heatmap"] = heatmapChart(w, 9, 9, o)

	o = newIopts()
	o.title, o.q, o.k, o.theme = "toy model", toks, toks, theme
	o.layer, o.head = 1, 2
	charts["explorer"] = explorerChart(demoStack(3, 4, 9), 3, 4, 9, 9, o)

	o = newIopts()
	o.title, o.q, o.k, o.theme = "head view", toks, toks, theme
	charts["headview"] = headViewChart(demoStack(2, 4, 9), 2, 4, 9, 9, o)

	q, k, v, m := demoQKV(6, 4, 3)
	o = newIopts()
	o.title, o.q, o.k, o.theme, o.pin = "softmax(QKᵀ/√dₖ)V", toks[:6], toks[:6], theme, 2
	charts["steps"] = stepsChart(q, k, v, 6, 6, 4, 3, m, o)

	o = newIopts()
	o.title, o.q, o.k, o.theme, o.pin = "attention paid by one query", toks, toks, theme, 5
	charts["strip"] = stripChart(w, 9, 9, o)

	ht := []string{hostile, `<script>window.__pwned=1</script>`, `"';alert(1)//`, "\u2028\u2029", `{a|b}`, "&amp;", "]]>", "<!--"}
	hw, hs := demoAttention(7, len(ht), len(ht), false)
	o = newIopts()
	o.title, o.q, o.k, o.scores, o.theme = hostile+`<script>window.__pwned=1</script>`, ht, ht, hs, theme
	charts["hostile"] = heatmapChart(hw, len(ht), len(ht), o)
	return charts
}

func demoQKV(T, d, dv int) (q, k, v, m []float32) {
	r := demoRand(42)
	f := func(n int) []float32 {
		a := make([]float32, n)
		for i := range a {
			a[i] = float32(math.Round((r.next()*2-1)*100) / 100)
		}
		return a
	}
	q, k, v = f(T*d), f(T*d), f(T*dv)
	m = make([]float32, T*T)
	for i := 0; i < T; i++ {
		for j := 0; j <= i; j++ {
			m[i*T+j] = 1
		}
	}
	return
}

// TestInteractiveGolden compares each view's notebook fragment (everything
// but the library blob and its loader, which echarts.StripLibrary replaces) with testdata/interactive/*.html byte for
// byte. Run `go test ./viz -run Golden -update` after an intended change.
func TestInteractiveGolden(t *testing.T) {
	for _, theme := range []string{"light", "dark"} {
		for name, c := range demoCharts(t, theme) {
			got, err := echarts.Fragment(c)
			if err != nil {
				t.Fatal(err)
			}
			again, _ := echarts.Fragment(demoCharts(t, theme)[name])
			if !bytes.Equal(got, again) {
				t.Errorf("%s/%s: two renders of the same input differ", name, theme)
			}
			got = echarts.StripLibrary(got)
			path := filepath.Join("testdata", "interactive", name+"-"+theme+".html")
			if updateGolden() {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s: output differs from the golden file (%d vs %d bytes); if intended, rerun with -update", path, len(got), len(want))
			}
		}
	}
}

// TestInteractiveEscaping checks that hostile text never appears raw in the
// HTML: inside the spec JSON every <, > and & is \u-escaped.
func TestInteractiveEscaping(t *testing.T) {
	c := demoCharts(t, "light")["hostile"]
	page, err := echarts.Page(c)
	if err != nil {
		t.Fatal(err)
	}
	// Only our own markup may contain "<script"; count them.
	frag, _ := echarts.Fragment(c)
	if n := bytes.Count(frag, []byte("<script")); n != 1 {
		t.Errorf("fragment has %d <script> tags, want 1 (the mount call)", n)
	}
	for _, bad := range []string{"<img src=x", "__pwned=1</script>", "\u2028"} {
		if bytes.Contains(frag, []byte(bad)) {
			t.Errorf("fragment contains raw %q", bad)
		}
	}
	if !bytes.Contains(page, []byte("<title>&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;")) {
		t.Errorf("page title is not HTML-escaped")
	}
	if !bytes.Contains(page, []byte("Content-Security-Policy")) {
		t.Errorf("standalone page lacks its Content-Security-Policy")
	}
	if bytes.Contains(page, []byte("http://")) && !bytes.Contains(page, []byte("www.w3.org")) {
		// echarts.min.js mentions URLs in strings; the page itself must not load any.
	}
	if bytes.Contains(page, []byte("<script src=")) {
		t.Errorf("standalone page loads a script by URL")
	}
}

// TestInteractiveSelfSufficient: every fragment carries the library, whatever
// was shown before it (the deprecated ResendScript, ScriptInEveryFigure and
// EChartsFrom change nothing), and so does the standalone page.
func TestInteractiveSelfSufficient(t *testing.T) {
	mk := func() *lazyHTML {
		return newLazyHTML(figureCases(t)["fig-heatmap"])
	}
	a, err := mk().fragment()
	if err != nil {
		t.Fatal(err)
	}
	ScriptInEveryFigure(false)
	EChartsFrom("https://example.org/echarts.min.js")
	b, _ := mk().fragment()
	ResendScript()
	c, _ := mk().fragment()
	if a != b || a != c {
		t.Errorf("fragments of one chart differ (%d, %d, %d bytes)", len(a), len(b), len(c))
	}
	_, blob, _ := echarts.LibrarySizes()
	if len(a) < blob || !strings.Contains(a, echarts.LibraryKey()) || strings.Contains(a, "example.org") {
		t.Errorf("fragment does not carry the library (%d bytes, blob %d)", len(a), blob)
	}
	p, err := mk().page()
	if err != nil || !bytes.Contains(p, []byte(echarts.LibraryKey())) {
		t.Errorf("a standalone page must carry the library (err %v)", err)
	}
}

func TestInteractiveBadInput(t *testing.T) {
	w9, _ := demoAttention(1, 3, 3, true)
	att := tensor.New(demoStack(2, 2, 3), 2, 2, 3, 3)
	q, k, v, _ := demoQKV(3, 2, 2)
	q[0] = float32(math.NaN())
	for _, c := range []struct {
		fig  *Figure
		kind error
		msg  string
	}{
		{Heatmap(tensor.New(w9, 3, 3), Tokens([]string{"a", "b"})), tensor.ErrShape, "viz.Heatmap: token count does not match the matrix: 2 query tokens for 3 rows and 2 key tokens for 3 columns"},
		{Explorer(att, Layers(5)), tensor.ErrValue, "viz.Explorer: layer 5 does not exist; the attention ([2 2 3 3], [layers, heads, queries, keys]) has 2 layers (0 … 1)"},
		{HeadView(att, Heads(2)), tensor.ErrValue, "viz.HeadView: head 2 does not exist; the attention ([2 2 3 3], [layers, heads, queries, keys]) has 2 heads (0 … 1)"},
		{Steps(tensor.New(q, 3, 2), tensor.New(k, 3, 2), tensor.New(v, 3, 2)), tensor.ErrValue, "viz.Steps: Q holds NaN at [0 0]"},
		{Steps(tensor.New(k, 3, 2), tensor.New(k, 3, 2), tensor.New(v, 3, 2), Query(3)), tensor.ErrValue, "viz.Steps: Query(3) is outside the 3 queries; use 0 … 2"},
		{TokenStrip(tensor.New(w9, 3, 3), Query(3)), tensor.ErrValue, "viz.TokenStrip: Query(3) is outside the 3 queries; use 0 … 2"},
	} {
		err := c.fig.Err()
		if !errors.Is(err, c.kind) || !strings.HasPrefix(fmt.Sprint(err), c.msg) {
			t.Errorf("got %v, want %v %q…", err, c.kind, c.msg)
		}
		if c.fig.html != nil || !strings.Contains(c.fig.HTML(), "data:image/png;base64,") {
			t.Errorf("%v: an error figure shows its message as an image, not an interactive view", c.fig)
		}
	}
	// −Inf cells and the Mask option are drawn masked; a 1×1 matrix draws.
	ninf := float32(math.Inf(-1))
	for _, f := range []*Figure{
		Heatmap(tensor.New([]float32{1, ninf, 0.5, 0.5}, 2, 2)),
		Heatmap(tensor.New([]float32{1, 0, 0.5, 0.5}, 2, 2), Mask(tensor.CausalMask(2))),
		Heatmap(tensor.New([]float32{0.5}, 1, 1)),
	} {
		if f.Err() != nil || !strings.Contains(f.HTML(), "rt.boot(") {
			t.Errorf("%v: want an interactive view", f)
		}
	}
}

func TestQuantizedRoundTrip(t *testing.T) {
	v := []float32{0, 0.25, 0.5, 1, float32(math.Inf(-1)), 2, -1}
	a := echarts.U8("w", v, 0, 1)
	want := []byte{1, 65, 128, 255, 0, 255, 1}
	if !bytes.Equal(a.Bytes, want) {
		t.Errorf("U8 codes = %v, want %v", a.Bytes, want)
	}
}

// figureCases builds every Figure that has an interactive view.
func figureCases(t testing.TB) map[string]*Figure {
	t.Helper()
	toks := demoTokens(9)
	w, _ := demoAttention(1, 9, 9, true)
	att := tensor.New(demoStack(2, 3, 9), 2, 3, 9, 9)
	q, k, v, m := demoQKV(6, 4, 3)
	figs := map[string]*Figure{
		"fig-heatmap":  Heatmap(tensor.New(w, 9, 9), Tokens(toks), Title("a head"), Highlight(2)),
		"fig-grid":     Grid(att, Tokens(toks), Heads(1)),
		"fig-headview": HeadView(att, Tokens(toks), Theme(Dark)),
		"fig-explorer": Explorer(att, Tokens(toks), Layers(1), Heads(2)),
		"fig-steps":    Steps(tensor.New(q, 6, 4), tensor.New(k, 6, 4), tensor.New(v, 6, 3), Mask(tensor.New(m, 6, 6)), Tokens(toks[:6]), Query(3)),
		"fig-strip":    TokenStrip(tensor.New(w, 9, 9), Tokens(toks), Query(4)),
	}
	for name, f := range figs {
		if f.Err() != nil {
			t.Fatalf("%s: %v", name, f.Err())
		}
	}
	return figs
}

func TestFigureInteractive(t *testing.T) {
	for name, f := range figureCases(t) {
		if f.html == nil {
			t.Errorf("%s: no interactive writer attached", name)
			continue
		}
		h := f.HTML()
		if !strings.Contains(h, `class="attnviz attnviz-`) || !strings.Contains(h, "rt.boot(") || !strings.Contains(h, echarts.LibraryKey()) {
			t.Errorf("%s: HTML() is not the interactive fragment: %.200s", name, h)
		}
		if !strings.Contains(h, `<img class="attnviz-fallback"`) {
			t.Errorf("%s: notebook fragment lacks the PNG fallback", name)
		}
		// Where scripts do not run, the picture says how to get the
		// interactive figure, and no reserved height leaves a blank box
		// under it (the chart sizes itself when it mounts).
		if !strings.Contains(h, `<p class="attnviz-static"`) || !strings.Contains(h, "trust the notebook") {
			t.Errorf("%s: the fallback picture has no line saying how to make it interactive", name)
		}
		if strings.Contains(h, "min-height") {
			t.Errorf("%s: the figure's container reserves a min-height: a blank box under the fallback where scripts do not run", name)
		}
		b, err := f.Encode(".html")
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !strings.HasPrefix(string(b), "<!DOCTYPE html>") || !strings.Contains(string(b), echarts.LibraryKey()) {
			t.Errorf("%s: saved .html is not a standalone page with the script", name)
		}
	}
	// A view without an interactive form keeps the static HTML.
	if f := Rollout(tensor.New(demoStack(2, 3, 9), 2, 3, 9, 9)); f.Err() == nil && f.html != nil {
		t.Errorf("Rollout should have no interactive writer")
	}
}

func TestHeadViewExplorerErrors(t *testing.T) {
	for _, f := range []*Figure{
		HeadView(tensor.New([]float32{0.5, -1, 0.5, 0.5}, 2, 2)),
		Explorer(tensor.New([]float32{1, 2, 3}, 3)),
		HeadView(tensor.New(demoStack(1, 2, 3), 1, 2, 3, 3), Tokens([]string{"a"})),
		Explorer(tensor.New(demoStack(1, 2, 3), 1, 2, 3, 3), Layers(4)),
	} {
		err := f.Err()
		if err == nil {
			t.Errorf("%v: want an error", f)
			continue
		}
		if !errors.Is(err, tensor.ErrShape) && !errors.Is(err, tensor.ErrValue) {
			t.Errorf("error %v does not wrap tensor.ErrShape/ErrValue", err)
		}
		if len(f.PNG()) == 0 || f.HTML() == "" {
			t.Errorf("error figure must still display")
		}
		t.Log(err)
	}
}

func TestFigureInteractiveSave(t *testing.T) {
	dir := t.TempDir()
	f := figureCases(t)["fig-explorer"]
	p := filepath.Join(dir, "x.html")
	if err := f.Save(p); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(p)
	if _, blob, _ := echarts.LibrarySizes(); len(b) < blob || !strings.Contains(string(b), `data-kind="explorer"`) || !strings.Contains(string(b), echarts.LibraryKey()) {
		t.Errorf("saved explorer page looks wrong (%d bytes)", len(b))
	}
}
