package viz_test

import (
	"bytes"
	"flag"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/attnviz/attnviz/internal/demo"
	"github.com/attnviz/attnviz/internal/gallery"
	"github.com/attnviz/attnviz/viz"
)

// update reports whether -update was given (the flag is defined once, by
// the interactive tests, for both golden sets).
func update() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// goldenFigures are the figures whose PNG and SVG are kept under
// testdata/golden: every view of the gallery, heatmaps at n = 4, 12, 64 and
// 512, and a dark one.
func goldenFigures() []gallery.Example {
	figs := gallery.Figures()
	add := func(name string, f *viz.Figure) { figs = append(figs, gallery.Example{Name: name, Figure: f}) }
	for _, n := range []int{4, 12, 64, 512} {
		add(fmt.Sprintf("heatmap-n%d", n), viz.Heatmap(demo.Attention(n), viz.Tokens(demo.Tokens(n)), viz.Highlight(n/2)))
	}
	add("heatmap-dark", viz.Heatmap(demo.Attention(6), viz.Tokens(demo.Tokens(6)), viz.Theme(viz.Dark), viz.Palette(viz.Magma)))
	add("grid-dark", viz.Grid(demo.Stack(2, 3, 8), viz.Theme(viz.Dark), viz.SharedScale(true)))
	add("error", viz.Heatmap(demo.Stack(1, 2, 3)))
	pe := demo.Attention(8).Sub(demo.Attention(8).T()).Scale(4) // both signs, not attention
	add("heatmap-values", viz.Heatmap(pe, viz.Axes("position m", "position n", "value"), viz.Title("Plain values")))
	return figs
}

// pixel tolerance: a pixel differs when a channel differs by more than
// chanTol; at most maxDiff of the pixels may differ.
const (
	chanTol = 24
	maxDiff = 0.002
)

func TestGolden(t *testing.T) {
	dir := filepath.Join("testdata", "golden")
	if update() {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, ex := range goldenFigures() {
		t.Run(ex.Name, func(t *testing.T) {
			got := ex.Figure.PNG()
			path := filepath.Join(dir, ex.Name+".png")
			if update() {
				os.WriteFile(path, got, 0o644)
			} else {
				want, err := os.ReadFile(path)
				if err != nil {
					t.Fatalf("%v (run go test ./viz -run TestGolden -update)", err)
				}
				if msg := comparePNG(got, want); msg != "" {
					os.WriteFile(filepath.Join(os.TempDir(), "attnviz-"+ex.Name+".png"), got, 0o644)
					t.Errorf("%s: %s (got written to %s)", path, msg, filepath.Join(os.TempDir(), "attnviz-"+ex.Name+".png"))
				}
			}
			if ex.Figure.Err() != nil {
				return // error figures have no SVG
			}
			svg, err := ex.Figure.Encode(".svg")
			if err != nil {
				t.Fatal(err)
			}
			norm := normalizeSVG(svg)
			spath := filepath.Join(dir, ex.Name+".svg")
			if update() {
				os.WriteFile(spath, norm, 0o644)
				return
			}
			want, err := os.ReadFile(spath)
			if err != nil {
				t.Fatalf("%v (run go test ./viz -run TestGolden -update)", err)
			}
			if !bytes.Equal(norm, want) {
				t.Errorf("%s differs from the rendered SVG (run with -update if the change is intended)", spath)
			}
		})
	}
}

func comparePNG(got, want []byte) string {
	a, err := png.Decode(bytes.NewReader(got))
	if err != nil {
		return "rendered PNG does not decode: " + err.Error()
	}
	b, err := png.Decode(bytes.NewReader(want))
	if err != nil {
		return "golden PNG does not decode: " + err.Error()
	}
	if a.Bounds() != b.Bounds() {
		return fmt.Sprintf("size %v, golden %v", a.Bounds().Size(), b.Bounds().Size())
	}
	diff := countDiff(a, b)
	total := a.Bounds().Dx() * a.Bounds().Dy()
	if float64(diff) > maxDiff*float64(total) {
		return fmt.Sprintf("%d of %d pixels differ", diff, total)
	}
	return ""
}

func countDiff(a, b image.Image) int {
	n := 0
	r := a.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			r1, g1, b1, _ := a.At(x, y).RGBA()
			r2, g2, b2, _ := b.At(x, y).RGBA()
			if absDiff(r1, r2) > chanTol<<8 || absDiff(g1, g2) > chanTol<<8 || absDiff(b1, b2) > chanTol<<8 {
				n++
			}
		}
	}
	return n
}

func absDiff(a, b uint32) uint32 {
	if a > b {
		return a - b
	}
	return b - a
}

var (
	reFont = regexp.MustCompile(`url\(data:font/[^)]*\)`)
	reNum  = regexp.MustCompile(`-?[0-9]+\.[0-9]+`)
)

// normalizeSVG drops the embedded font data (≈1 MB, the same in every
// file) and rounds numbers to one decimal, so golden SVGs are small and
// stable across platforms.
func normalizeSVG(b []byte) []byte {
	b = reFont.ReplaceAll(b, []byte("url(data:font/…)"))
	return reNum.ReplaceAllFunc(b, func(m []byte) []byte {
		v, err := strconv.ParseFloat(string(m), 64)
		if err != nil {
			return m
		}
		s := strconv.FormatFloat(v, 'f', 1, 64)
		if s == "-0.0" {
			s = "0.0"
		}
		return []byte(s)
	})
}
