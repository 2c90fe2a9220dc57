package viz

import (
	"encoding/binary"
	"math"
	"strings"
	"testing"

	"github.com/attnviz/attnviz/tensor"
)

// FuzzFigures builds every data-driven view from fuzzed shapes, values
// (NaN, ±Inf, negative, empty, 1×1 included) and token text, and checks that
// no view panics, that each figure either carries an error or has a PNG, and
// that hostile token text never reaches the HTML or SVG unescaped.
//
//	go test -run '^$' -fuzz '^FuzzFigures$' -fuzztime 1m ./viz/
func FuzzFigures(f *testing.F) {
	f.Add([]byte{2, 2, 1, 1, 0, 0, 0x80, 0x3f}, "a", "</script><img src=x onerror=alert(1)>")
	f.Add([]byte{1, 1, 1, 1, 0x00, 0x00, 0xc0, 0x7f}, "<b>", "x") // NaN
	f.Add([]byte{3, 3, 1, 1, 0x00, 0x00, 0x80, 0x7f, 0x00, 0x00, 0x80, 0xff}, "&amp;", "\"'")
	f.Add([]byte{0, 0, 0, 0}, "", "")
	f.Add([]byte{4, 4, 2, 2, 0, 0, 0x80, 0xbf}, "<svg onload=alert(1)>", "]]></")
	f.Fuzz(func(t *testing.T, data []byte, tokA, tokB string) {
		if len(data) < 4 {
			return
		}
		// A fixed prefix makes "the token appears raw" unambiguous: an
		// escaped "&lt;/" followed by the page's own "</figcaption>" must
		// not count as the token "</".
		// Long tokens only slow each iteration down (they are cut when drawn).
		if len(tokA) > 64 {
			tokA = tokA[:64]
		}
		if len(tokB) > 64 {
			tokB = tokB[:64]
		}
		tokA, tokB = "zq"+tokA, "zq"+tokB
		n := int(data[0] % 9) // 0..8 tokens
		m := int(data[1] % 9)
		L := int(data[2]%3) + 0
		H := int(data[3]%3) + 0
		vals := data[4:]
		val := func(i int) float32 {
			if len(vals) == 0 {
				return 0
			}
			j := (i * 4) % len(vals)
			var b [4]byte
			for k := 0; k < 4; k++ {
				b[k] = vals[(j+k)%len(vals)]
			}
			return math.Float32frombits(binary.LittleEndian.Uint32(b[:]))
		}
		mk := func(shape ...int) *tensor.Tensor {
			size := 1
			for _, s := range shape {
				size *= s
			}
			d := make([]float32, size)
			for i := range d {
				d[i] = val(i)
			}
			return tensor.New(d, shape...)
		}
		toks := func(k int) []string {
			s := make([]string, k)
			for i := range s {
				if i%2 == 0 {
					s[i] = tokA
				} else {
					s[i] = tokB
				}
			}
			return s
		}
		// token count deliberately sometimes ≠ size
		qt, kt := toks(n), toks(m)
		opts := []Option{Tokens(qt), KeyTokens(kt), Title(tokA), Size(160, 160)}
		figs := map[string]func() *Figure{
			"Heatmap":    func() *Figure { return Heatmap(mk(n, m), opts...) },
			"Grid":       func() *Figure { return Grid(mk(L, H, n, n), opts...) },
			"Steps":      func() *Figure { return Steps(mk(n, 2), mk(m, 2), mk(m, 2), opts...) },
			"HeadStats":  func() *Figure { return HeadStats(mk(L, H, n, n), opts...) },
			"Rollout":    func() *Figure { return Rollout(mk(L, H, n, n), opts...) },
			"TokenStrip": func() *Figure { return TokenStrip(mk(n, m), opts...) },
			"Heatmap1D":  func() *Figure { return Heatmap(mk(n), opts...) },
		}
		for name, build := range figs {
			var fig *Figure
			func() {
				defer func() {
					if r := recover(); r != nil {
						t.Fatalf("%s panicked: %v", name, r)
					}
				}()
				fig = build()
				if fig == nil {
					t.Fatalf("%s returned nil", name)
				}
				png := fig.PNG()
				if fig.Err() == nil && len(png) == 0 {
					t.Fatalf("%s: no error and an empty PNG", name)
				}
				html := fig.HTML()
				for _, tok := range []string{tokA, tokB} {
					if fuzzHostile(tok) && strings.Contains(html, tok) {
						t.Fatalf("%s: token %q appears unescaped in HTML", name, tok)
					}
				}
				if fig.Err() == nil && (fuzzHostile(tokA) || fuzzHostile(tokB)) {
					svg, err := fig.Encode(".svg")
					if err != nil {
						t.Fatalf("%s: Encode(.svg): %v", name, err)
					}
					for _, tok := range []string{tokA, tokB} {
						if fuzzHostile(tok) && strings.Contains(string(svg), tok) {
							t.Fatalf("%s: token %q appears unescaped in SVG", name, tok)
						}
					}
				}
				_ = fig.SimpleRender()
				_ = fig.String()
			}()
		}
	})
}

// fuzzHostile reports whether s, placed raw in HTML, could open a tag.
func fuzzHostile(s string) bool {
	i := strings.IndexByte(s, '<')
	if i < 0 || i+1 >= len(s) {
		return false
	}
	c := s[i+1]
	return c == '/' || c == '!' || c == '?' || (c|0x20 >= 'a' && c|0x20 <= 'z')
}
