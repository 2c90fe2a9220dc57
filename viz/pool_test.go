package viz

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"math"
	"strings"
	"testing"

	"github.com/attnviz/attnviz/internal/demo"
	"github.com/attnviz/attnviz/tensor"
	"github.com/attnviz/attnviz/viz/internal/raster"
)

// cellsOf returns the matrix's cells op of a figure (the first Cells op
// with rows × cols pixels) and the page.
func cellsOf(t *testing.T, f *Figure, rows, cols int) *raster.Cells {
	t.Helper()
	if f.Err() != nil {
		t.Fatal(f.Err())
	}
	var found *raster.Cells
	f.page.EachCells(func(c *raster.Cells) {
		if found == nil && c.Rows == rows && c.Cols == cols {
			found = c
		}
	})
	if found == nil {
		t.Fatalf("no %d×%d cells on the page", rows, cols)
	}
	return found
}

// TestPoolBrightCellSurvives: one bright cell anywhere in a matrix far
// larger than the figure lights exactly its pixel under max pooling, in
// the pooled values and in the PNG, and the pooling is said under the
// matrix. The matrix size is not a multiple of the block size, so the
// last row and column of pixels hold smaller blocks.
func TestPoolBrightCellSurvives(t *testing.T) {
	const n = 3001 // 6 cells per pixel at the default 512 px: 501 pixels
	k := ceilDiv(n, 512)
	cw := ceilDiv(n, k)
	vals := make([]float32, n*n)
	for i := range vals {
		vals[i] = 1e-4
	}
	for _, pos := range [][2]int{{0, 0}, {n - 1, n - 1}, {0, n - 1}, {n - 1, 0}, {1234, 2345}, {k, k - 1}, {2999, 7}} {
		i, j := pos[0], pos[1]
		vals[i*n+j] = 0.9
		w := tensor.New(vals, n, n)
		f := Heatmap(w)
		vals[i*n+j] = 1e-4
		if f.Err() != nil {
			t.Fatal(f.Err())
		}
		c := cellsOf(t, f, cw, cw)
		if c.W != cw || c.H != cw {
			t.Fatalf("cells drawn at %d×%d px, want one pixel per block: %d×%d", c.W, c.H, cw, cw)
		}
		top := f.page.Pal.At(c.Idx[(i/k)*cw+j/k])
		for p, x := range c.Idx {
			if col := f.page.Pal.At(x); p != (i/k)*cw+j/k && col == top {
				t.Fatalf("cell (%d, %d): pixel %d also has the bright colour", i, j, p)
			}
		}
		if want := Viridis.At(1); !near(top, want) {
			t.Errorf("cell (%d, %d): its pixel is %v, want the top of the colour map %v", i, j, top, want)
		}
		// the PNG: the pixel of the block, at the cells' position
		img, err := png.Decode(bytes.NewReader(f.PNG()))
		if err != nil {
			t.Fatal(err)
		}
		if got := rgbaAt(img, c.X+j/k, c.Y+i/k); !near(got, top) {
			t.Errorf("cell (%d, %d): PNG pixel (%d, %d) is %v, want %v", i, j, c.X+j/k, c.Y+i/k, got, top)
		}
		if !pageHasText(f, "3001×3001 cells: each pixel = max over 6×6 cells") {
			t.Errorf("the pooling note is missing; texts: %q", pageTexts(f))
		}
	}
}

func near(a, b interface{ RGBA() (r, g, b, a uint32) }) bool {
	r0, g0, b0, _ := a.RGBA()
	r1, g1, b1, _ := b.RGBA()
	d := func(x, y uint32) bool { return x>>8 <= y>>8+3 && y>>8 <= x>>8+3 }
	return d(r0, r1) && d(g0, g1) && d(b0, b1)
}

func rgbaAt(img image.Image, x, y int) interface{ RGBA() (r, g, b, a uint32) } {
	return img.At(x, y)
}

func pageTexts(f *Figure) []string {
	var out []string
	f.page.EachText(func(s string) { out = append(out, s) })
	return out
}

func pageHasText(f *Figure, s string) bool {
	for _, t := range pageTexts(f) {
		if t == s {
			return true
		}
	}
	return false
}

// TestPoolScan checks the one pass against a direct computation on a
// matrix with −Inf (masked) cells, all-masked blocks, both signs and an
// odd size, for max and mean pooling.
func TestPoolScan(t *testing.T) {
	const rows, cols, k = 37, 41, 4
	d := tensor.RandN(3, rows, cols).Data()
	ninf := float32(math.Inf(-1))
	for r := range rows {
		for j := range cols {
			if j > r+3 || (r < 8 && j < 8) {
				d[r*cols+j] = ninf
			}
		}
	}
	for _, mode := range []PoolMode{PoolMax, PoolMean} {
		for _, workers := range []int{1, 2} {
			_ = workers
			p := poolScan(d, rows, cols, k, mode, nil)
			if p.cw != 11 || p.ch != 10 {
				t.Fatalf("pooled to %d×%d, want 11×10", p.cw, p.ch)
			}
			lo, hi := math.Inf(1), math.Inf(-1)
			for br := range p.ch {
				for bc := range p.cw {
					best, sum, n := math.Inf(-1), 0.0, 0
					for r := br * k; r < min(rows, (br+1)*k); r++ {
						for j := bc * k; j < min(cols, (bc+1)*k); j++ {
							v := float64(d[r*cols+j])
							if math.IsInf(v, -1) {
								continue
							}
							best, sum, n = math.Max(best, v), sum+v, n+1
							lo, hi = math.Min(lo, v), math.Max(hi, v)
						}
					}
					got := float64(p.vals[br*p.cw+bc])
					switch {
					case n == 0:
						if !math.IsNaN(got) {
							t.Errorf("%v block (%d, %d): every cell masked, got %v, want NaN", mode, br, bc, got)
						}
					case mode == PoolMax && got != best:
						t.Errorf("max block (%d, %d) = %v, want %v", br, bc, got, best)
					case mode == PoolMean && math.Abs(got-sum/float64(n)) > 1e-6:
						t.Errorf("mean block (%d, %d) = %v, want %v", br, bc, got, sum/float64(n))
					}
				}
			}
			if !p.scan.negInf || !p.masked || p.scan.bad != -1 || float64(float32(lo)) != p.scan.lo || float64(float32(hi)) != p.scan.hi {
				t.Errorf("scan %+v masked %v, want −Inf seen, range [%v, %v]", p.scan, p.masked, lo, hi)
			}
			for r := range rows {
				want := 0.0
				for j := range cols {
					if v := float64(d[r*cols+j]); !math.IsInf(v, 0) {
						want += v
					}
				}
				if math.Abs(p.sums[r]-want) > 1e-5 {
					t.Errorf("row %d sums to %v, want %v", r, p.sums[r], want)
				}
			}
		}
	}
	// a NaN: its position, the first in row-major order
	d[20*cols+5] = float32(math.NaN())
	d[30*cols+1] = float32(math.Inf(1))
	if p := poolScan(d, rows, cols, k, PoolMax, nil); p.scan.bad != 20*cols+5 {
		t.Errorf("first bad value at %d, want %d", p.scan.bad, 20*cols+5)
	}
}

// TestPooledHeatmap: the pooled figure's messages and notes, the mean
// option, masks, and that a matrix that fits is drawn cell for cell.
func TestPooledHeatmap(t *testing.T) {
	n := 1200
	w := demo.Attention(n)
	f := Heatmap(w, Pool(PoolMean))
	if !pageHasText(f, "1200×1200 cells: each pixel = mean over 3×3 cells") {
		t.Errorf("mean: texts %q", pageTexts(f))
	}
	if len(f.Warnings()) != 0 {
		t.Errorf("warnings %q", f.Warnings())
	}
	// a causal mask: masked cells left out, and said so
	s := tensor.RandN(1, n, n)
	f = Heatmap(s, Mask(tensor.CausalMask(n)))
	if !pageHasText(f, "1200×1200 cells: each pixel = max over 3×3 cells (masked cells left out)") {
		t.Errorf("mask: texts %q", pageTexts(f))
	}
	c := cellsOf(t, f, 400, 400)
	if !c.HatchOn || c.Idx[0*400+399] != c.Hatch || c.Idx[399*400+0] == c.Hatch {
		t.Errorf("the masked upper triangle is not drawn masked")
	}
	// scores with −Inf where masked: diverging colours, masked corner
	sc := s.MaskedFill(tensor.CausalMask(n).Eq0(), float32(math.Inf(-1)))
	f = Heatmap(sc)
	if !pageHasText(f, "Attention scores") || !pageHasText(f, "1200×1200 cells: each pixel = max over 3×3 cells (masked cells left out)") {
		t.Errorf("scores: texts %q", pageTexts(f))
	}
	// a NaN is refused with its position, as in a small matrix
	d := w.Data()
	d[700*n+3] = float32(math.NaN())
	f = Heatmap(tensor.New(d, n, n))
	if err := f.Err(); err == nil || !strings.Contains(err.Error(), "the weights hold NaN at [700 3]") {
		t.Errorf("NaN: %v", err)
	}
	// rows that do not sum to 1 are still found
	f = Heatmap(tensor.Ones(n, n).Scale(0.5))
	if ws := f.Warnings(); len(ws) != 1 || !strings.Contains(ws[0], "row 0 sums to 600 (and 1199 more rows), not 1") {
		t.Errorf("row sums: %q", ws)
	}
	// a matrix that fits: cell for cell, no note
	f = Heatmap(demo.Attention(400), Pool(PoolMean))
	cellsOf(t, f, 400, 400)
	for _, s := range pageTexts(f) {
		if strings.Contains(s, "each pixel") {
			t.Errorf("a note on a matrix that fits: %q", s)
		}
	}
	// a bad mode: a warning, drawn with max
	f = Heatmap(w, Pool(PoolMode(7)))
	if ws := f.Warnings(); len(ws) != 1 || ws[0] != "Pool: the mode must be viz.PoolMax or viz.PoolMean; drawn with PoolMax" {
		t.Errorf("bad mode: %q", ws)
	}
	// Size: the cells fill the size asked for
	f = Heatmap(w, Size(400, 300))
	if f.Err() != nil || f.page.W != 400 || f.page.H != 300 {
		t.Errorf("Size(400, 300): %v, page %d×%d", f.Err(), f.page.W, f.page.H)
	}
}

// TestAnnotateTooLarge: numbers in the cells of a large matrix would make a
// picture of gigabytes (8192² cells); the figure is drawn without them and
// says why.
func TestAnnotateTooLarge(t *testing.T) {
	n := maxAnnotated + 1
	f := Heatmap(tensor.Ones(n, n).Scale(1/float32(n)), Annotate())
	if err := f.Err(); err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("Annotate is ignored: a %d×%d matrix has too many cells to write a number in each (at most %d×%d)", n, n, maxAnnotated, maxAnnotated)
	if ws := f.Warnings(); len(ws) != 1 || !strings.HasPrefix(ws[0], want) {
		t.Errorf("warnings %q, want one starting %q", ws, want)
	}
	if w, h := pngSize(t, f.PNG()); w > 1200 || h > 1200 {
		t.Errorf("picture %d×%d: drawn as if annotated", w, h)
	}
	// at the limit the numbers are written
	if f := Heatmap(tensor.Ones(8, 8).Scale(0.125), Annotate()); len(f.Warnings()) != 0 {
		t.Errorf("8×8 with Annotate: warnings %q", f.Warnings())
	}
}

func pngSize(t *testing.T, b []byte) (w, h int) {
	t.Helper()
	c, err := png.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return c.Width, c.Height
}
