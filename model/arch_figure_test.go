package model

import (
	"bytes"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/attnviz/attnviz/tensor"
	"github.com/attnviz/attnviz/viz"
)

// upperZeroed returns att [..., T, T] with every key after its query set
// to 0: what a causal model's attention looks like.
func upperZeroed(t *testing.T, att *tensor.Tensor) *tensor.Tensor {
	t.Helper()
	d := append([]float32(nil), att.Data()...)
	s := att.Shape()
	T := s[len(s)-1]
	for m := 0; m < len(d); m += T * T {
		for q := 0; q < T; q++ {
			for k := q + 1; k < T; k++ {
				d[m+q*T+k] = 0
			}
		}
	}
	return tensor.New(d, s...)
}

// later is the share of the attention that queries give keys after them.
func later(att *tensor.Tensor) float64 {
	d := att.Data()
	s := att.Shape()
	T := s[len(s)-1]
	var sum float64
	for m := 0; m < len(d); m += T * T {
		for q := 0; q < T; q++ {
			for k := q + 1; k < T; k++ {
				sum += float64(d[m+q*T+k])
			}
		}
	}
	return sum / float64(len(d)/T)
}

// pixelsDiffering counts the pixels of two PNGs of one size that differ.
func pixelsDiffering(t *testing.T, a, b []byte) int {
	t.Helper()
	ia, err := png.Decode(bytes.NewReader(a))
	if err != nil {
		t.Fatal(err)
	}
	ib, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if ia.Bounds() != ib.Bounds() {
		t.Fatalf("sizes differ: %v, %v", ia.Bounds(), ib.Bounds())
	}
	n := 0
	r := ia.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if !sameColor(ia.At(x, y), ib.At(x, y)) {
				n++
			}
		}
	}
	return n
}

func sameColor(a, b color.Color) bool {
	r1, g1, b1, a1 := a.RGBA()
	r2, g2, b2, a2 := b.RGBA()
	return r1 == r2 && g1 == g2 && b1 == b2 && a1 == a2
}

// Issue 15: BERT's attention is bidirectional, and the figures must show
// that the keys after each query are visible. The heatmap and the grid of
// a bert model's attention differ from the same figures with the keys
// after the query blanked out (so the figure draws them); for a causal
// gpt2 model they are identical (there is nothing after the query).
func TestBERTFiguresShowLaterKeys(t *testing.T) {
	bert := modelFromGGUF(t, archBERT().data)
	gpt2 := modelFromGGUF(t, archGPT2(true).data)
	for _, c := range []struct {
		name   string
		m      *Model
		causal bool
	}{{"bert", bert, false}, {"gpt2", gpt2, true}} {
		r := c.m.Run("The cat sat on the mat.")
		if err := r.Err(); err != nil {
			t.Fatal(err)
		}
		share := later(r.Attention)
		t.Logf("%s: %d tokens, %.3f of the attention on keys after the query", c.name, len(r.IDs), share)
		if c.causal && share != 0 {
			t.Errorf("%s: %.3g of the attention on later keys, want 0", c.name, share)
		}
		if !c.causal && share < 0.2 {
			t.Errorf("%s: only %.3f of the attention on later keys; a bidirectional model spreads it both ways", c.name, share)
		}
		// one colour scale for both, so that only the cells of later keys can change
		toks, scale := viz.Tokens(r.Tokens), viz.Range(0, 1)
		figs := []struct {
			kind      string
			full, cut *viz.Figure
		}{
			{"heatmap", viz.Heatmap(r.Head(0, 0), toks, scale), viz.Heatmap(upperZeroed(t, r.Head(0, 0)), toks, scale)},
			{"grid", viz.Grid(r.Attention, toks, scale), viz.Grid(upperZeroed(t, r.Attention), toks, scale)},
		}
		for _, f := range figs {
			if err := f.full.Err(); err != nil {
				t.Fatalf("%s %s: %v", c.name, f.kind, err)
			}
			if dir := os.Getenv("ATTNVIZ_FIGURE_DIR"); dir != "" { // to look at them
				os.WriteFile(filepath.Join(dir, c.name+"-"+f.kind+".png"), f.full.PNG(), 0o644)
			}
			n := pixelsDiffering(t, f.full.PNG(), f.cut.PNG())
			t.Logf("%s %s: %d pixels change when the keys after the query are blanked", c.name, f.kind, n)
			if c.causal && n != 0 {
				t.Errorf("%s %s: %d pixels differ; a causal model has nothing after the query", c.name, f.kind, n)
			}
			if !c.causal && n < 500 {
				t.Errorf("%s %s: only %d pixels show the keys after the query", c.name, f.kind, n)
			}
		}
	}
}
