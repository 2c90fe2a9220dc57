package viz

import (
	"bytes"
	"errors"
	"image/color"
	"image/png"
	"slices"
	"testing"

	"github.com/attnviz/attnviz/internal/demo"
	"github.com/attnviz/attnviz/tensor"
)

// hasColour reports whether the PNG has a pixel of exactly colour c.
func hasColour(t *testing.T, b []byte, c color.RGBA) bool { return countColour(t, b, c) > 0 }

// countColour counts the PNG's pixels of exactly colour c.
func countColour(t *testing.T, b []byte, c color.RGBA) int {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	r := img.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if color.RGBAModel.Convert(img.At(x, y)).(color.RGBA) == c {
				n++
			}
		}
	}
	return n
}

// The head view on paper (PNG, SVG, PDF) is a head view, not a grid: the
// tokens in two columns, one line colour per head shown (and none of the
// others), a legend naming the heads, the layer in the title.
func TestStaticHeadView(t *testing.T) {
	att := demo.Stack(3, 4, 6)
	toks := demo.Tokens(6)
	f := HeadView(att, Tokens(toks))
	if f.Err() != nil {
		t.Fatal(f.Err())
	}
	if bytes.Equal(f.PNG(), Grid(att, Tokens(toks)).PNG()) {
		t.Fatal("the head view's PNG is the grid")
	}
	texts := f.page.Texts()
	for _, tok := range toks {
		if n := count(texts, tok); n < 2 {
			t.Errorf("token %q written %d times, want in both columns", tok, n)
		}
	}
	for _, s := range []string{"Head view — layer 0 of 3 (others: viz.Layers)", "head 0", "head 3"} {
		if !slices.Contains(texts, s) {
			t.Errorf("the head view does not write %q: %q", s, texts)
		}
	}
	for h := 0; h < 4; h++ {
		if !hasColour(t, f.PNG(), HeadColor(h)) {
			t.Errorf("head %d's colour is not drawn", h)
		}
	}
	// Heads picks the heads shown, Layers the layers (side by side)
	g := HeadView(att, Tokens(toks), Layers(1, 2), Heads(2))
	if g.Err() != nil {
		t.Fatal(g.Err())
	}
	if hasColour(t, g.PNG(), HeadColor(0)) || !hasColour(t, g.PNG(), HeadColor(2)) {
		t.Error("Heads(2) did not draw head 2 alone")
	}
	texts = g.page.Texts()
	if !slices.Contains(texts, "layer 1") || !slices.Contains(texts, "layer 2") || slices.Contains(texts, "head 0") {
		t.Errorf("Layers(1, 2), Heads(2): %q", texts)
	}
	// a line's opacity is its weight: weights of 1 draw lines in the
	// head's full colour, weights of 1/3 only the legend's swatch (12×12 px)
	one := tensor.New([]float32{1, 0, 0, 0, 1, 0, 0, 0, 1}, 1, 3, 3)
	swatch := 12 * 12
	if n := countColour(t, HeadView(one).PNG(), HeadColor(0)); n < swatch+100 {
		t.Errorf("weights of 1: %d pixels of the head's colour, want the swatch (%d) and the lines", n, swatch)
	}
	if n := countColour(t, HeadView(tensor.Full(1.0/3, 1, 3, 3)).PNG(), HeadColor(0)); n != swatch {
		t.Errorf("weights of 1/3: %d pixels of the head's full colour, want the swatch's %d", n, swatch)
	}
	for _, ext := range []string{".svg", ".pdf"} {
		if b, err := f.Encode(ext); err != nil || len(b) == 0 {
			t.Errorf("%s: %v", ext, err)
		}
	}
}

// The explorer on paper: every layer and head as thumbnails (whatever
// Layers and Heads pick), the opened head outlined and drawn large beside
// them with its tokens.
func TestStaticExplorer(t *testing.T) {
	att := demo.Stack(3, 4, 6)
	toks := demo.Tokens(6)
	f := Explorer(att, Tokens(toks), Layers(1), Heads(2))
	if f.Err() != nil {
		t.Fatal(f.Err())
	}
	if bytes.Equal(f.PNG(), Grid(att, Tokens(toks)).PNG()) {
		t.Fatal("the explorer's PNG is the grid")
	}
	texts := f.page.Texts()
	for _, s := range []string{"Explorer: every layer and head", "layer 1, head 2", "L0", "L2", "H0", "H3", "query", "key"} {
		if !slices.Contains(texts, s) {
			t.Errorf("the explorer does not write %q: %q", s, texts)
		}
	}
	if !hasColour(t, f.PNG(), Light.colors().accent) {
		t.Error("the opened head is not outlined")
	}
	for _, ext := range []string{".svg", ".pdf"} {
		if b, err := f.Encode(ext); err != nil || len(b) == 0 {
			t.Errorf("%s: %v", ext, err)
		}
	}
}

func count(ss []string, s string) int {
	n := 0
	for _, x := range ss {
		if x == s {
			n++
		}
	}
	return n
}

// Thumbnails of the static grid and explorer have square cells, whatever
// the numbers of layers and heads and the Size asked for.
func TestGridCellsSquare(t *testing.T) {
	for _, c := range []struct{ L, H, T int }{{1, 4, 16}, {6, 12, 16}, {2, 2, 40}, {12, 1, 8}} {
		att := demo.Stack(c.L, c.H, c.T)
		// wide and tall sizes above the smallest readable one (smaller ones are refused)
		var se *SizeError
		if !errors.As(Grid(att, Size(10, 10)).Err(), &se) {
			t.Fatalf("%v: Grid at Size(10, 10) is not refused", c)
		}
		for _, f := range []*Figure{Grid(att), Explorer(att), Grid(att, Size(3*se.MinW, se.MinH)), Grid(att, Size(se.MinW, 3*se.MinH))} {
			if f.Err() != nil {
				t.Fatal(f.Err())
			}
			for _, r := range f.page.CellRects(2) { // the heads (the colour bar is one column)
				if r.Dx() != r.Dy() {
					t.Errorf("%v %s: a %d×%d head drawn %d×%d px", c, f, c.T, c.T, r.Dx(), r.Dy())
					break
				}
			}
		}
	}
}
