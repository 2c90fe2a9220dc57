package raster

import (
	"bytes"
	"image/color"
	"image/png"
	"strings"
	"testing"
)

func testPage() (*Page, MapRef) {
	pal := &Palette{}
	m := pal.AddMap(func(t float64) color.RGBA { return color.RGBA{uint8(255 * t), 0, uint8(255 - 255*t), 255} }, 16)
	pal.Add(color.RGBA{255, 255, 255, 255})
	pal.Add(color.RGBA{0, 0, 0, 255})
	p := NewPage(40, 30, 96, color.RGBA{255, 255, 255, 255}, pal)
	return p, m
}

// Cells are drawn at an integer scale, nearest neighbour, row 0 on top, in
// exactly the palette's colours.
func TestCellsExact(t *testing.T) {
	p, m := testPage()
	p.DrawCells(&Cells{X: 5, Y: 5, W: 30, H: 20, Cols: 3, Rows: 2, Idx: []uint8{
		m.Index(0), m.Index(0.5), m.Index(1),
		m.Index(1), m.Index(0.5), m.Index(0),
	}})
	p.Text(36, 26, "x", TextStyle{Size: 4, Color: color.RGBA{0, 0, 0, 255}})
	img := p.Image()
	want := func(x, y int, idx uint8) {
		t.Helper()
		if got := img.ColorIndexAt(x, y); got != idx {
			t.Errorf("pixel (%d,%d) = index %d, want %d", x, y, got, idx)
		}
	}
	want(5, 5, m.Index(0))   // row 0, col 0: top left
	want(14, 14, m.Index(0)) // still the first cell (10×10 px)
	want(15, 5, m.Index(0.5))
	want(34, 24, m.Index(0))
	want(5, 15, m.Index(1)) // row 1, col 0
	want(4, 4, 16)          // background
	var buf bytes.Buffer
	b, err := p.PNG()
	if err != nil {
		t.Fatal(err)
	}
	buf.Write(b)
	dec, err := png.Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if dec.Bounds().Dx() != 40 || dec.Bounds().Dy() != 30 {
		t.Errorf("size %v", dec.Bounds())
	}
}

func TestHatch(t *testing.T) {
	p, m := testPage()
	grey := p.Pal.Add(color.RGBA{200, 200, 200, 255})
	ink := p.Pal.Add(color.RGBA{100, 100, 100, 255})
	p.DrawCells(&Cells{X: 0, Y: 0, W: 14, H: 14, Cols: 1, Rows: 1, Idx: []uint8{grey}, HatchOn: true, Hatch: grey, HatchInk: ink})
	img := p.Image()
	n := map[uint8]int{}
	for y := 0; y < 14; y++ {
		for x := 0; x < 14; x++ {
			n[img.ColorIndexAt(x, y)]++
		}
	}
	if n[grey] == 0 || n[ink] == 0 || n[grey]+n[ink] != 196 {
		t.Errorf("hatch counts %v", n)
	}
	_ = m
}

func TestSVGAndPDF(t *testing.T) {
	p, m := testPage()
	p.DrawCells(&Cells{X: 5, Y: 5, W: 10, H: 10, Cols: 1, Rows: 1, Idx: []uint8{m.Index(1)}})
	p.Text(20, 10, "−∞ √d", TextStyle{Size: 8, Color: color.RGBA{0, 0, 0, 255}, Rot90: true})
	svg, err := p.SVG()
	if err != nil || !strings.Contains(string(svg), "<svg") || !strings.Contains(string(svg), "data:image/") {
		t.Fatalf("svg: %v", err)
	}
	pdf, err := p.PDF()
	if err != nil || !bytes.HasPrefix(pdf, []byte("%PDF")) {
		t.Fatalf("pdf: %v", err)
	}
}

func TestTextMetrics(t *testing.T) {
	p, _ := testPage()
	w1 := p.TextWidth("i", 10, false)
	w2 := p.TextWidth("iiii", 10, false)
	if !(w1 > 0 && w2 > 3*w1) {
		t.Errorf("widths %v %v", w1, w2)
	}
	if p.TextWidth("W", 10, true) <= p.TextWidth("W", 10, false)-0.01 {
		t.Error("bold not wider")
	}
	if h := p.TextHeight(10, false); h < 10 || h > 20 {
		t.Errorf("height of 10pt at 96 dpi = %v px", h)
	}
}

// A matrix with only a frame around it goes straight to the paletted image;
// one with text over it goes through the RGBA canvas, and both look right.
func TestCleanCells(t *testing.T) {
	for _, over := range []bool{false, true} {
		p, m := testPage()
		p.DrawCells(&Cells{X: 5, Y: 5, W: 20, H: 20, Cols: 2, Rows: 2, Idx: []uint8{m.Index(0), m.Index(1), m.Index(1), m.Index(0)}})
		p.StrokeRect(4, 4, 22, 22, 1, color.RGBA{0, 0, 0, 255})
		if over {
			p.FillRect(10, 10, 2, 2, color.RGBA{255, 255, 255, 255})
		}
		r := &pngRenderer{p: p}
		r.img = getRGBA(p.W, p.H)
		r.findClean()
		if r.isClean[0] == over {
			t.Errorf("over=%v: clean=%v", over, r.isClean[0])
		}
		img := p.Image()
		if img.ColorIndexAt(6, 6) != m.Index(0) || img.ColorIndexAt(16, 6) != m.Index(1) || img.ColorIndexAt(4, 10) != 17 {
			t.Errorf("over=%v: wrong pixels %d %d %d", over, img.ColorIndexAt(6, 6), img.ColorIndexAt(16, 6), img.ColorIndexAt(4, 10))
		}
		if over && img.ColorIndexAt(10, 10) != 16 {
			t.Errorf("overdraw lost: %d", img.ColorIndexAt(10, 10))
		}
	}
}
