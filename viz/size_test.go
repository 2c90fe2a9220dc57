package viz

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/attnviz/attnviz/tensor"
)

// A Size too small to read is refused with the smallest size that works,
// and that size works: the figure is drawn at exactly that size. One
// pixel less in either direction is refused again.
func TestSizeTooSmall(t *testing.T) {
	for kind, mk := range viewCases() {
		name := views[kind].name
		t.Run(name, func(t *testing.T) {
			f := mk(Size(10, 10))
			var se *SizeError
			if !errors.As(f.Err(), &se) || !errors.Is(f.Err(), tensor.ErrValue) {
				t.Fatalf("Size(10, 10): %v, want a *SizeError", f.Err())
			}
			want := fmt.Sprintf("viz.%s: Size(10, 10) is too small to read: this figure needs at least %d×%d pixels at 96 dpi; ask for Size(%d, %d) or more, or leave Size out for the automatic size",
				name, se.MinW, se.MinH, se.MinW, se.MinH)
			if f.Err().Error() != want {
				t.Errorf("got  %q\nwant %q", f.Err(), want)
			}
			g := mk(Size(se.MinW, se.MinH))
			if g.Err() != nil {
				t.Fatalf("Size(%d, %d), the size the message gave: %v", se.MinW, se.MinH, g.Err())
			}
			if g.page.W != se.MinW || g.page.H != se.MinH {
				t.Errorf("Size(%d, %d) drew %d×%d", se.MinW, se.MinH, g.page.W, g.page.H)
			}
			less := [][2]int{{se.MinW - 1, se.MinH}, {se.MinW, se.MinH - 1}}
			if kind == tokenStripView {
				less = less[1:]
			}
			for _, s := range less {
				if err := mk(Size(s[0], s[1])).Err(); err == nil || !strings.Contains(err.Error(), "too small") {
					t.Errorf("Size(%d, %d): %v, want too small", s[0], s[1], err)
				}
			}
		})
	}
}
