package raster

import (
	"fmt"
	"image"
	"image/color"
	"strings"
	"testing"
)

// Numbers must read right at every size and resolution: each digit of a
// number is drawn whole, exactly as the digit alone, with a clear column
// of pixels between it and its neighbours. At 96 dpi x/image's kerning
// (golang/go#46727) drew "11" as "1ı": the second 1 pulled 2.4 px onto the
// first at every size.

// visible is the coverage at which a pixel reads as ink.
const visible = 128

// inkRuns splits a mask into runs of columns that hold a pixel of at
// least thr coverage: each run's first and last column.
func inkRuns(m *image.Alpha, thr uint8) [][2]int {
	var runs [][2]int
	in := false
	for x := 0; x < m.Rect.Dx(); x++ {
		ink := false
		for y := 0; y < m.Rect.Dy(); y++ {
			if m.Pix[y*m.Stride+x] >= thr {
				ink = true
				break
			}
		}
		switch {
		case ink && !in:
			runs = append(runs, [2]int{x, x})
			in = true
		case ink:
			runs[len(runs)-1][1] = x
		default:
			in = false
		}
	}
	return runs
}

// crop returns the columns x0 … x1 of m as rows of '#' (coverage ≥
// visible) and '.'.
func crop(m *image.Alpha, x0, x1 int) string {
	var b strings.Builder
	for y := 0; y < m.Rect.Dy(); y++ {
		for x := x0; x <= x1; x++ {
			if m.Pix[y*m.Stride+x] >= visible {
				b.WriteByte('#')
			} else {
				b.WriteByte('.')
			}
		}
		b.WriteByte('\n')
	}
	return b.String()
}

func TestNumbersReadRight(t *testing.T) {
	white := color.RGBA{255, 255, 255, 255}
	strs := []string{"11", "111", "0.11", "1.11", "0.011", "10", "1011", "4.71", "17", "71", "0.91"}
	for a := '0'; a <= '9'; a++ {
		for b := '0'; b <= '9'; b++ {
			strs = append(strs, string([]rune{a, b}))
		}
	}
	// every resolution a figure takes (DPI 72 … 1200): each one up to
	// 200, then a sample
	var dpis []int
	for d := 72; d <= 200; d++ {
		dpis = append(dpis, d)
	}
	dpis = append(dpis, 216, 240, 250, 288, 300, 333, 400, 600, 1200)
	fails := 0
	for _, bold := range []bool{false, true} {
		for _, size := range []float64{8, 9, 10, 12} { // the figures' font sizes
			for _, dpi := range dpis {
				p := NewPage(1, 1, float64(dpi), white, nil)
				st := TextStyle{Size: size, Bold: bold}
				alone := map[rune]string{}
				for _, r := range "0123456789." {
					m, _ := p.textMask(string(r), st)
					if runs := inkRuns(m, visible); len(runs) == 1 {
						alone[r] = crop(m, runs[0][0], runs[0][1])
					}
				}
				for _, s := range strs {
					m, _ := p.textMask(s, st)
					var want []string
					for _, r := range s {
						if g, ok := alone[r]; ok {
							want = append(want, g)
						}
					}
					runs := inkRuns(m, visible)
					bad := len(runs) != len(want)
					for i := 0; !bad && i < len(runs); i++ {
						bad = crop(m, runs[i][0], runs[i][1]) != want[i]
					}
					if bad && fails < 5 {
						fails++
						var got []string
						for _, r := range runs {
							got = append(got, crop(m, r[0], r[1]))
						}
						t.Errorf("%q at %g pt (bold %v), %d dpi: %d separate glyphs, want %d, each as drawn alone:\n%s\nwant\n%s",
							s, size, bold, dpi, len(runs), len(want), strings.Join(got, "\n"), strings.Join(want, "\n"))
					}
				}
			}
		}
	}
}

// The kerning of a pair grows with the size in pixels (x/image's
// opentype.Face.Kern does not: golang/go#46727).
func TestKernScales(t *testing.T) {
	for _, bold := range []bool{false, true} {
		k96 := kern(faceKey{bold, 12, 96}, 'A', 'V')
		k192 := kern(faceKey{bold, 12, 192}, 'A', 'V')
		k24 := kern(faceKey{bold, 24, 96}, 'A', 'V')
		if k96 >= 0 || k192 < 2*k96-1 || k192 > 2*k96+1 || k24 < 2*k96-1 || k24 > 2*k96+1 {
			t.Errorf("bold %v: kern(A, V) = %v at 12 pt 96 dpi, %v at 192 dpi, %v at 24 pt: want a negative kern that doubles", bold, k96, k192, k24)
		}
		// "AV" is narrower than "A" and "V" side by side, by that kern
		p := NewPage(1, 1, 96, color.RGBA{}, nil)
		w := p.TextWidth("AV", 12, bold)
		sep := p.TextWidth("A", 12, bold) + p.TextWidth("V", 12, bold)
		if d := w - sep; d > float64(k96)/64+0.01 || d < float64(k96)/64-0.01 {
			t.Errorf("bold %v: width(AV) − width(A) − width(V) = %.3f px, want the kern %.3f", bold, d, float64(k96)/64)
		}
	}
	if fmt.Sprint(kern(faceKey{false, 9, 96}, '1', '1')) != "0:00" {
		t.Errorf("digits are kerned: %v", kern(faceKey{false, 9, 96}, '1', '1'))
	}
}
