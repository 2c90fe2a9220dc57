package viz

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/attnviz/attnviz/viz/internal/echarts"
)

// Browser tests: the pages are written here and checked in headless
// Chromium by web/run.mjs (playwright-core). They need /usr/bin/chromium
// (or $CHROMIUM), node and web/node_modules — scripts/setup-browser.sh
// installs all three; without them the tests are skipped with that reason.

func repoRoot(t testing.TB) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(filepath.Dir(file))
}

// skipOrFail skips a test whose tools are missing, or fails it under
// `make test` (ATTNVIZ_REQUIRE_BROWSER=1), which has just installed them.
func skipOrFail(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv("ATTNVIZ_REQUIRE_BROWSER") != "" {
		t.Fatalf(format+" (ATTNVIZ_REQUIRE_BROWSER is set: make test installs these)", args...)
	}
	t.Skipf(format, args...)
}

func browserReady(t testing.TB) (node, runner string) {
	t.Helper()
	root := repoRoot(t)
	chromium := os.Getenv("CHROMIUM")
	if chromium == "" {
		chromium = "/usr/bin/chromium"
	}
	if _, err := os.Stat(chromium); err != nil {
		skipOrFail(t, "no Chromium at %s (run scripts/setup-browser.sh or set CHROMIUM): browser tests skipped", chromium)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		skipOrFail(t, "no node on PATH (run scripts/setup-browser.sh): browser tests skipped")
	}
	if _, err := os.Stat(filepath.Join(root, "web", "node_modules", "playwright-core")); err != nil {
		skipOrFail(t, "web/node_modules/playwright-core missing (run scripts/setup-browser.sh, i.e. npm ci in web/): browser tests skipped")
	}
	return node, filepath.Join(root, "web", "run.mjs")
}

// jsNum mirrors num() in assets/attnviz.js.
func jsNum(v float32, approx bool) string { return jsNum64(float64(v), approx) }

// jsNum64 is jsNum of a value the browser computes in float64.
func jsNum64(f float64, approx bool) string {
	switch {
	case math.IsNaN(f):
		return "masked"
	case math.IsInf(f, -1):
		return "−∞ (masked)"
	case math.IsInf(f, 1):
		return "+∞"
	}
	var s string
	if a := math.Abs(f); a != 0 && a < 0.001 {
		s = strconv.FormatFloat(f, 'e', 2, 64)
		// JS writes e-4, Go e-04.
		if i := strings.LastIndexAny(s, "+-"); i > 0 {
			exp := strings.TrimLeft(s[i+1:], "0")
			s = s[:i+1] + exp
		}
	} else {
		s = strconv.FormatFloat(f, 'f', 4, 64)
	}
	if approx {
		s = "≈" + s
	}
	return strings.Replace(s, "-", "−", 1)
}

// jsVis mirrors vis() in assets/attnviz.js (and tokLabel) for ASCII text.
func jsVis(s string) string {
	if s == "" {
		return "''"
	}
	var b strings.Builder
	for i, r := range s {
		switch {
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == ' ' && (i == 0 || i == len(s)-1):
			b.WriteRune('·')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func visAll(t []string) []string {
	out := make([]string, len(t))
	for i, s := range t {
		out[i] = jsVis(s)
	}
	return out
}

type browserPage struct {
	File       string           `json:"file"`
	Checks     []map[string]any `json:"checks,omitempty"`
	MinPainted int              `json:"minPainted,omitempty"`
	Screenshot string           `json:"screenshot,omitempty"`
	WaitFor    string           `json:"waitFor,omitempty"` // a peer's page: painted when this selector exists
}

type browserResult struct {
	File    string   `json:"file"`
	OK      bool     `json:"ok"`
	Errors  []string `json:"errors"`
	Bytes   int      `json:"bytes"`
	LoadMs  float64  `json:"loadMs"`
	PaintMs float64  `json:"paintMs"`
	HeapMB  float64  `json:"heapMB"`
	HoverMs float64  `json:"hoverMs"`
	// DetailMs: a long heatmap's time to decode every cell's values.
	DetailMs float64 `json:"detailMs"`
}

func runBrowser(t testing.TB, dir string, pages []browserPage) []browserResult {
	t.Helper()
	node, runner := browserReady(t)
	man, _ := json.Marshal(map[string]any{"pages": pages})
	mpath := filepath.Join(dir, "manifest.json")
	if err := os.WriteFile(mpath, man, 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, runner, mpath)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	var res []browserResult
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var r browserResult
		if json.Unmarshal(sc.Bytes(), &r) == nil && r.File != "" {
			res = append(res, r)
			if !r.OK {
				t.Errorf("%s: %s", r.File, strings.Join(r.Errors, "; "))
			}
		}
	}
	if err != nil && len(res) == 0 {
		t.Fatalf("browser runner failed: %v\n%s\n%s", err, out, stderr.String())
	}
	if len(res) != len(pages) {
		t.Errorf("browser runner reported %d of %d pages\n%s", len(res), len(pages), stderr.String())
	}
	return res
}

func writePage(t testing.TB, dir, name string, c *echarts.Chart) {
	t.Helper()
	b, err := echarts.Page(c)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func pageDir(t testing.TB) string {
	if d := os.Getenv("ATTNVIZ_WEB_OUT"); d != "" {
		os.MkdirAll(d, 0o755)
		return d
	}
	return t.TempDir()
}

func TestInteractiveBrowser(t *testing.T) {
	browserReady(t)
	dir := pageDir(t)
	var pages []browserPage
	for _, theme := range []string{"light", "dark"} {
		charts := demoCharts(t, theme)
		for name, c := range charts {
			file := name + "-" + theme + ".html"
			writePage(t, dir, file, c)
			p := browserPage{File: file}
			if os.Getenv("ATTNVIZ_WEB_OUT") != "" {
				p.Screenshot = name + "-" + theme + ".png"
			}
			toks := demoTokens(9)
			switch name {
			case "heatmap":
				w, s := demoAttention(1, 9, 9, true)
				for _, ij := range [][2]int{{0, 0}, {4, 2}, {8, 7}, {2, 5}} {
					i, j := ij[0], ij[1]
					want := fmt.Sprintf("query %d: %s\nkey %d: %s\nweight: %s\nscore: %s", i, jsVis(toks[i]), j, jsVis(toks[j]), jsNum(w[i*9+j], false), jsNum(s[i*9+j], false))
					p.Checks = append(p.Checks, map[string]any{"do": "hover", "i": i, "j": j, "want": want})
				}
				p.Checks = append(p.Checks, map[string]any{"do": "clickRow", "i": 4, "j": 1, "wantStatus": "pinned query 4: " + jsVis(toks[4])})
				// Zoomed to the lower-right half, cell (7, 6) is still found under the mouse.
				want := fmt.Sprintf("query 7: %s\nkey 6: %s\nweight: %s\nscore: %s", jsVis(toks[7]), jsVis(toks[6]), jsNum(w[7*9+6], false), jsNum(s[7*9+6], false))
				p.Checks = append(p.Checks, map[string]any{"do": "zoom", "start": 50, "end": 100, "minBand": 80, "i": 7, "j": 6, "want": want,
					"qLabels": visAll(toks), "kLabels": visAll(toks)})
			case "explorer":
				p.Checks = append(p.Checks,
					map[string]any{"do": "select", "cls": "attnviz-layer", "value": 2, "attr": "data-layer", "wantTitle": "toy model — layer 2, head 2"},
					map[string]any{"do": "select", "cls": "attnviz-head", "value": 0, "attr": "data-head", "wantTitle": "toy model — layer 2, head 0"},
					map[string]any{"do": "thumb", "layer": 0, "head": 3},
					map[string]any{"do": "hoverRespond", "i": 3, "j": 1, "prefix": "query 3: " + jsVis(toks[3])},
				)
			case "headview":
				p.Checks = append(p.Checks,
					map[string]any{"do": "headToggle", "head": 1},
					map[string]any{"do": "tokenFocus", "i": 4},
					map[string]any{"do": "select", "cls": "attnviz-layer", "value": 1, "attr": "data-layer"},
				)
			case "steps":
				q, k, v, m := demoQKV(6, 4, 3)
				raw, scaled, wts, out := stepsRef(q, k, v, m, 6, 6, 4, 3, 4)
				p.Checks = append(p.Checks, map[string]any{"do": "stepsQuery", "value": 4,
					"want": map[string]any{"raw": raw, "scaled": scaled, "weights": wts, "out": out}})
			case "strip":
				p.Checks = append(p.Checks, map[string]any{"do": "stripQuery", "value": 3})
			case "hostile":
				ht := []string{hostile, `<script>window.__pwned=1</script>`}
				hw, hs := demoAttention(7, 8, 8, false)
				p.Checks = append(p.Checks,
					map[string]any{"do": "hover", "i": 0, "j": 1, "want": fmt.Sprintf("query 0: %s\nkey 1: %s\nweight: %s\nscore: %s", ht[0], ht[1], jsNum(hw[1], false), jsNum(hs[1], false))},
					map[string]any{"do": "hostile"})
			}
			pages = append(pages, p)
		}
	}
	// Edge cases: a 1×1 matrix; masked cells (−Inf, NaN) in raw scores.
	one := heatmapChart([]float32{1}, 1, 1, newIopts())
	writePage(t, dir, "edge-1x1.html", one)
	pages = append(pages, browserPage{File: "edge-1x1.html", Checks: []map[string]any{
		{"do": "hover", "i": 0, "j": 0, "want": "query 0: 0\nkey 0: 0\nweight: 1.0000"}}})
	ninf, nan := float32(math.Inf(-1)), float32(math.NaN())
	mo := newIopts()
	mo.label = "score"
	masked := heatmapChart([]float32{1.5, ninf, ninf, -2, 0.25, ninf, nan, 3, -1}, 3, 3, mo)
	writePage(t, dir, "edge-masked.html", masked)
	pages = append(pages, browserPage{File: "edge-masked.html", Checks: []map[string]any{
		{"do": "hover", "i": 0, "j": 1, "want": "query 0: 0\nkey 1: 1\nscore: −∞ (masked)"},
		{"do": "hover", "i": 2, "j": 0, "want": "query 2: 2\nkey 0: 0\nscore: masked"},
		{"do": "hover", "i": 1, "j": 0, "want": "query 1: 1\nkey 0: 0\nscore: −2.0000"}}})
	// The Figure constructors' saved pages load and paint too.
	for name, f := range figureCases(t) {
		b, err := f.Encode(".html")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name+".html"), b, 0o644); err != nil {
			t.Fatal(err)
		}
		p := browserPage{File: name + ".html"}
		switch name {
		case "fig-strip":
			p.Checks = append(p.Checks, map[string]any{"do": "stripQuery", "value": 2})
		case "fig-heatmap":
			// Annotate (automatic for 9×9): every cell's value, as the PNG writes it.
			w, _ := demoAttention(1, 9, 9, true)
			lo, hi := finiteRange(w)
			dec := decimalsFor(math.Max(math.Abs(math.Min(lo, 0)), math.Abs(hi)))
			var want []string
			for _, x := range w {
				want = append(want, fmtVal(float64(x), dec))
			}
			p.Checks = append(p.Checks, map[string]any{"do": "annot", "want": want})
		case "fig-steps":
			// Annotate (automatic for 6 tokens, d 4): the bars carry their values.
			q, k, v, m := demoQKV(6, 4, 3)
			raw, scaled, wts, out := stepsRef(q, k, v, m, 6, 6, 4, 3, 3)
			var want [][]string
			for _, vals := range [][]any{raw, scaled, wts, out} {
				big := 0.0
				for _, x := range vals {
					if x != nil {
						big = math.Max(big, math.Abs(x.(float64)))
					}
				}
				var ls []string
				for _, x := range vals {
					if x == nil {
						ls = append(ls, "−∞")
					} else {
						ls = append(ls, fmtVal(x.(float64), decimalsFor(big)))
					}
				}
				want = append(want, ls)
			}
			p.Checks = append(p.Checks, map[string]any{"do": "stepsLabels", "want": want})
		}
		pages = append(pages, p)
	}
	res := runBrowser(t, dir, pages)
	for _, r := range res {
		t.Logf("%-22s %8d B  painted at %5.0f ms", r.File, r.Bytes, r.PaintMs)
	}
}

// stepsRef computes the steps view's numbers for query qi in float64.
func stepsRef(q, k, v, m []float32, T, Tk, d, dv, qi int) (raw, scaled, wts, out []any) {
	sc := 1 / math.Sqrt(float64(d))
	mx := math.Inf(-1)
	z := make([]float64, Tk)
	ok := make([]bool, Tk)
	for j := 0; j < Tk; j++ {
		s := 0.0
		for c := 0; c < d; c++ {
			s += float64(q[qi*d+c]) * float64(k[j*d+c])
		}
		raw = append(raw, s)
		z[j] = s * sc
		ok[j] = m == nil || m[qi*Tk+j] != 0
		if ok[j] {
			scaled = append(scaled, z[j])
			mx = math.Max(mx, z[j])
		} else {
			scaled = append(scaled, nil)
		}
	}
	e := make([]float64, Tk)
	tot := 0.0
	for j := range e {
		if ok[j] {
			e[j] = math.Exp(z[j] - mx)
			tot += e[j]
		}
	}
	for j := range e {
		e[j] /= tot
		wts = append(wts, e[j])
	}
	for c := 0; c < dv; c++ {
		a := 0.0
		for j := 0; j < Tk; j++ {
			a += e[j] * float64(v[j*dv+c])
		}
		out = append(out, a)
	}
	return
}

// TestInteractiveScale loads the big pages: an n=1024 heatmap (≤ 3 MB,
// painted time logged), an n=4096 heatmap and a 12×12×128² explorer, and
// checks that each paints and answers a hover and a selector.
// Skipped with -short.
func TestInteractiveScale(t *testing.T) {
	if testing.Short() {
		t.Skip("scale pages skipped with -short")
	}
	browserReady(t)
	dir := pageDir(t)
	var pages []browserPage
	for _, n := range []int{1024, 4096} {
		w, _ := demoAttention(uint64(n), n, n, true)
		o := newIopts()
		o.title, o.q, o.k = fmt.Sprintf("n=%d", n), demoTokens(n), demoTokens(n)
		c := heatmapChart(w, n, n, o)
		file := fmt.Sprintf("heatmap-%d.html", n)
		writePage(t, dir, file, c)
		pages = append(pages, browserPage{File: file, Checks: []map[string]any{{"do": "hoverRespond", "i": n / 2, "j": n / 3, "prefix": fmt.Sprintf("query %d: ", n/2)}}})
	}
	o := newIopts()
	o.title, o.q, o.k = "12×12×128²", demoTokens(128), demoTokens(128)
	c := explorerChart(demoStack(12, 12, 128), 12, 12, 128, 128, o)
	writePage(t, dir, "explorer-12x12x128.html", c)
	pages = append(pages, browserPage{File: "explorer-12x12x128.html", Checks: []map[string]any{
		{"do": "select", "cls": "attnviz-layer", "value": 7, "attr": "data-layer"},
		{"do": "thumb", "layer": 11, "head": 5},
		{"do": "hoverRespond", "i": 100, "j": 20, "prefix": "query 100: "},
	}})
	o = newIopts()
	o.q, o.k = demoTokens(128), demoTokens(128)
	c = headViewChart(demoStack(12, 12, 128), 12, 12, 128, 128, o)
	writePage(t, dir, "headview-12x12x128.html", c)
	pages = append(pages, browserPage{File: "headview-12x12x128.html", Checks: []map[string]any{
		{"do": "headToggle", "head": 3},
		{"do": "tokenFocus", "i": 60},
		{"do": "select", "cls": "attnviz-layer", "value": 5, "attr": "data-layer"},
	}})
	res := runBrowser(t, dir, pages)
	for _, r := range res {
		t.Logf("%-26s %9d B (%.2f MB)  painted at %5.0f ms  load %5.0f ms  heap %4.0f MB  hover %3.0f ms", r.File, r.Bytes, float64(r.Bytes)/1e6, r.PaintMs, r.LoadMs, r.HeapMB, r.HoverMs)
		if r.File == "heatmap-1024.html" && r.Bytes > 3_000_000 {
			t.Errorf("n=1024 heatmap page is %d bytes, over the 3 MB budget", r.Bytes)
		}
	}
}
