package viz

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/attnviz/attnviz/tensor"
)

// decodeCode is the value the browser gives code c of a detail array
// (assets/attnviz.js decode).
func decodeCode(kind string, lo, b float64, c byte) float64 {
	switch {
	case c == 0:
		return math.NaN()
	case kind == "ulog" && c == 1:
		return 0
	case kind == "ulog":
		return lo * math.Pow(2, float64(c-2)/b)
	}
	return lo + float64(c-1)*b
}

// TestDetailCodes: every cell comes back within the precision the page
// states; a smaller budget gets a coarser scale that fits it; masked
// cells stay masked.
func TestDetailCodes(t *testing.T) {
	const n = 1500
	w, _ := demoAttention(7, n, n, true)
	w[3*n+1] = float32(math.NaN())
	mask := func(r int) []float32 {
		row := make([]float32, n)
		for j := range row {
			row[j] = 1
		}
		row[5] = 0
		return row
	}
	prev := 0.0
	for _, budget := range []int{4 << 20, 1 << 20} {
		a, prec, ok := detailCodes(w, n, n, mask, 0, 1, true, budget)
		if !ok {
			t.Fatalf("budget %d: no detail", budget)
		}
		if got := base64Len(len(a.Z)); got > budget {
			t.Errorf("budget %d: %d bytes of base64", budget, got)
		}
		if a.Kind != "ulog" {
			t.Errorf("weights: kind %q, want ulog", a.Kind)
		}
		q := a.Hi
		rel := logPrecision(q)
		if !strings.HasPrefix(prec, fmt.Sprintf("±%.2g%%, a log scale of %.3g steps per octave", rel*100, q)) {
			t.Errorf("budget %d: precision %q (q %g)", budget, prec, q)
		}
		if rel <= prev {
			t.Errorf("budget %d: precision %g not coarser than %g", budget, rel, prev)
		}
		prev = rel
		for i := range n {
			for j := range n {
				c := a.Bytes[i*n+j]
				v := float64(w[i*n+j])
				got := decodeCode(a.Kind, a.Lo, a.Hi, c)
				switch {
				case j == 5 || (i == 3 && j == 1):
					if c != 0 {
						t.Fatalf("masked cell (%d,%d): code %d", i, j, c)
					}
				case v == 0:
					if got != 0 {
						t.Fatalf("zero at (%d,%d) reads %g", i, j, got)
					}
				case v >= a.Lo && math.Abs(got-v) > rel*v*1.001+1e-12:
					t.Fatalf("budget %d: (%d,%d) = %g reads %g, more than ±%.3g%% off", budget, i, j, v, got, rel*100)
				}
			}
		}
	}
	if _, _, ok := detailCodes(w, n, n, nil, 0, 1, true, 1000); ok {
		t.Errorf("a 1 kB budget: want no detail")
	}
	// scores (negative values): a linear scale, ± half a step
	s := make([]float32, 300*300)
	for i := range s {
		s[i] = float32(math.Sin(float64(i)*0.37) * 4)
	}
	a, prec, ok := detailCodes(s, 300, 300, nil, -4, 4, true, 1<<20)
	if !ok || a.Kind != "ulin" || !strings.HasPrefix(prec, fmt.Sprintf("±%.3g, 255 levels", a.Hi/2)) {
		t.Fatalf("scores: %v %q %v", a.Kind, prec, ok)
	}
	for i, v := range s {
		if got := decodeCode(a.Kind, a.Lo, a.Hi, a.Bytes[i]); math.Abs(got-float64(v)) > a.Hi/2*1.001 {
			t.Fatalf("score %d = %g reads %g (step %g)", i, v, got, a.Hi)
		}
	}
}

// TestInteractiveLong: a heatmap of 2560² cells in real Chromium: the
// overview paints (3×3 blocks, said in the note and the tooltip), every
// cell's value arrives after the paint, and zoomed in, the tooltip gives a
// cell's value to the precision it states. The saved page and the
// notebook output stay within their budgets.
func TestInteractiveLong(t *testing.T) {
	if testing.Short() {
		t.Skip("long heatmap page skipped with -short")
	}
	browserReady(t)
	dir := pageDir(t)
	const n = 2560
	w, _ := demoAttention(11, n, n, true)
	w[1500*n+300] = 1 // one bright cell
	toks := demoTokens(n)
	f := Heatmap(tensor.New(w, n, n), Tokens(toks))
	if f.Err() != nil {
		t.Fatal(f.Err())
	}
	page := filepath.Join(dir, "long-2560.html")
	if err := f.Save(page); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(page)
	note := "2560×2560 cells: the overview shows the max of each 3×3 block; zoom in (scroll, or the sliders) to see single cells, whose values this page carries to ±"
	if !strings.Contains(string(b), note) {
		t.Errorf("page has no note %q", note)
	}
	if len(b) > 12e6 {
		t.Errorf("page is %d bytes", len(b))
	}
	if h := f.HTML(); len(h) > 3_000_000 || !strings.Contains(h, "2560×2560 cells: the overview") {
		t.Errorf("notebook output: %d bytes, note there: %v", len(h), strings.Contains(h, "2560×2560 cells"))
	}
	// the detail the page carries (detailCodes is deterministic)
	det, prec, ok := detailCodes(w, n, n, nil, 0, 1, true, pageDetailBudget)
	if !ok {
		t.Fatal("no detail")
	}
	want := func(i, j int) string {
		c := det.Bytes[i*n+j]
		v := decodeCode(det.Kind, det.Lo, det.Hi, c)
		rel := logPrecision(det.Hi)
		if x := float64(w[i*n+j]); math.Abs(v-x) > rel*x*1.001 {
			t.Errorf("(%d,%d) = %g is carried as %g: more than ±%.3g%%", i, j, x, v, rel*100)
		}
		if c == 1 {
			return fmt.Sprintf("query %d: %s\nkey %d: %s\nweight: 0", i, jsVis(toks[i]), j, jsVis(toks[j]))
		}
		return fmt.Sprintf("query %d: %s\nkey %d: %s\nweight: %s (%s)", i, jsVis(toks[i]), j, jsVis(toks[j]), jsNum64(v, true), prec)
	}
	res := runBrowser(t, dir, []browserPage{{File: "long-2560.html", Checks: []map[string]any{
		{"do": "hoverRespond", "i": 1501, "j": 301, "prefix": "queries "},
		{"do": "hoverContains", "i": 1501, "j": 301, "want": "max of the 3×3 block: "},
		{"do": "waitDetail"},
		{"do": "zoomCells", "a": 1480, "b": 1543, "i": 1500, "j": 1510, "want": want(1500, 1510)}, // after the query: 0
		{"do": "zoomCells", "a": 1480, "b": 1543, "i": 1500, "j": 1490, "want": want(1500, 1490)},
		{"do": "zoomCells", "a": 250, "b": 330, "i": 300, "j": 299, "want": want(300, 299)},
		{"do": "zoomCells", "a": 1450, "b": 1550, "i": 1500, "j": 1499, "want": want(1500, 1499)},
	}}})
	for _, r := range res {
		t.Logf("%s: %d B, painted at %.0f ms, cells decoded in %.0f ms, hover %.0f ms (precision %s)", r.File, r.Bytes, r.PaintMs, r.DetailMs, r.HoverMs, prec)
	}
}
