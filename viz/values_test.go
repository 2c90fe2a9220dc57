package viz

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/attnviz/attnviz/internal/demo"
	"github.com/attnviz/attnviz/tensor"
)

// TestValues: Values and Axes turn a Heatmap's attention checks off and
// pick the palette and range for plain values.
func TestValues(t *testing.T) {
	pos := tensor.MustFromRows([][]float32{{1, .2, 0, .5}, {.1, 1, .8, 0}}) // rows do not sum to 1
	mixed := tensor.MustFromRows([][]float32{{2, -1}, {-.5, 4}})
	neg := tensor.MustFromRows([][]float32{{-2, -1}, {-3, -1.5}})
	cases := []struct {
		name     string
		fig      *Figure
		err      string // prefix of the error, "" for none
		warnings []string
		lo, hi   float64 // colour range of the interactive spec
		pal      *Colormap
		label    string // colour bar / tooltip value name
		rows     string // row axis name in the interactive spec ("" = query)
	}{
		{"weights warn", Heatmap(pos), "", []string{"row 0 sums to 1.7 (and 1 more rows), not 1: are these softmax weights?"}, 0, 1, Viridis, "weight", ""},
		{"values", Heatmap(pos, Values()), "", nil, 0, 1, Viridis, "value", "row"},
		{"axes", Heatmap(pos, Axes("token", "dimension", "embedding")), "", nil, 0, 1, Viridis, "embedding", "token"},
		{"axes empty names", Heatmap(pos, Axes("", "", "")), "", nil, 0, 1, Viridis, "value", "row"},
		{"scores without values", Heatmap(mixed), "", nil, -4, 4, Diverging, "score", ""},
		{"both signs diverging", Heatmap(mixed, Values()), "", nil, -4, 4, Diverging, "value", "row"},
		{"negative only", Heatmap(neg, Axes("a", "b", "c")), "", nil, -3, -1, Viridis, "c", "a"},
		{"palette", Heatmap(pos, Values(), Palette(Diverging)), "", nil, -1, 1, Diverging, "value", "row"},
		{"range", Heatmap(mixed, Values(), Range(-10, 10)), "", nil, -10, 10, Diverging, "value", "row"},
		{"uniform", Heatmap(tensor.Full(3, 2, 2), Values()), "", nil, 2.5, 3.5, Viridis, "value", "row"},
		{"nan", Heatmap(tensor.New([]float32{1, float32(math.NaN()), 0, 1}, 2, 2), Values()), "viz.Heatmap: the weights hold NaN at [0 1]", nil, 0, 0, nil, "", ""},
		{"bad range", Heatmap(mixed, Values(), Range(2, 1)), "viz.Heatmap: Range(2, 1) is empty", nil, 0, 0, nil, "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := c.fig
			if c.err != "" {
				if err := f.Err(); err == nil || !strings.HasPrefix(err.Error(), c.err) || !errors.Is(err, tensor.ErrValue) {
					t.Fatalf("error %v, want %q… wrapping tensor.ErrValue", err, c.err)
				}
				return
			}
			if err := f.Err(); err != nil {
				t.Fatal(err)
			}
			if got := f.Warnings(); strings.Join(got, "|") != strings.Join(c.warnings, "|") {
				t.Errorf("warnings %q, want %q", got, c.warnings)
			}
			ch := heatmapInteractive(f, ioptsFrom(f))
			s := ch.Spec.(heatSpec)
			if math.Abs(s.Lo-c.lo) > 1e-6 || math.Abs(s.Hi-c.hi) > 1e-6 {
				t.Errorf("range [%g, %g], want [%g, %g]", s.Lo, s.Hi, c.lo, c.hi)
			}
			if strings.Join(s.Pal, " ") != strings.Join(hexStops(c.pal), " ") {
				t.Errorf("palette %v, want %v", s.Pal, hexStops(c.pal))
			}
			if s.Label != c.label || s.RowName != c.rows {
				t.Errorf("label %q, rows %q; want %q, %q", s.Label, s.RowName, c.label, c.rows)
			}
		})
	}
}

// TestValuesDrawn: the static figure names the axes and the colour bar and
// has no attention title.
func TestValuesDrawn(t *testing.T) {
	x := tensor.MustFromRows([][]float32{{1, -.2}, {.1, 1}})
	f := Heatmap(x, Axes("token", "dimension", "embedding value"))
	svg, err := f.Encode(".svg")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"token", "dimension", "embedding value"} {
		if !strings.Contains(string(svg), want) {
			t.Errorf("SVG lacks %q", want)
		}
	}
	for _, bad := range []string{"Attention", "query", ">key<"} {
		if strings.Contains(string(svg), bad) {
			t.Errorf("SVG of plain values says %q", bad)
		}
	}
	if s := f.String(); s != "viz.Heatmap figure "+strings.Fields(s)[2]+" px" {
		t.Errorf("String() = %q", s)
	}
}

// TestViewNames: every view names itself in String() and in errors.
func TestViewNames(t *testing.T) {
	att := demo.Stack(1, 2, 3)
	for _, c := range []struct {
		fig  *Figure
		want string
	}{
		{HeadView(att), "viz.HeadView figure "},
		{Explorer(att), "viz.Explorer figure "},
		{HeadView(tensor.Zeros(2)), "viz.HeadView error: "},
		{Explorer(tensor.Zeros(2)), "viz.Explorer error: "},
	} {
		if s := c.fig.String(); !strings.HasPrefix(s, c.want) {
			t.Errorf("String() = %q, want prefix %q", s, c.want)
		}
	}
}

// TestInteractiveWarnings: the figure's warnings appear, escaped, as a
// caption under the interactive chart, in the notebook fragment and in the
// saved page; figures without warnings have no caption.
func TestInteractiveWarnings(t *testing.T) {
	w := tensor.MustFromRows([][]float32{{.5, .3}, {.2, .8}})
	f := Heatmap(w, Tokens([]string{"<b>", "x"}))
	want := `<div class="attnviz-caption" style="font:12px sans-serif;margin:4px 0">warning: row 0 sums to 0.8, not 1: are these softmax weights?</div>`
	if h := f.HTML(); !strings.Contains(h, want) || !strings.HasSuffix(h, want+"\n") {
		t.Errorf("notebook HTML does not end with the warning caption:\n%s", h[max(0, len(h)-300):])
	}
	page, err := f.Encode(".html")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(page), want+"\n</body>") {
		t.Errorf("saved page lacks the caption before </body>")
	}
	if strings.Count(string(page), "attnviz-caption") != 1 {
		t.Errorf("saved page has %d captions, want 1", strings.Count(string(page), "attnviz-caption"))
	}
	if h := Heatmap(demo.Attention(4)).HTML(); strings.Contains(h, "attnviz-caption") {
		t.Errorf("a figure without warnings has a caption")
	}
	if got := warningsHTML([]string{"a<b", "c&d"}); got != `<div class="attnviz-caption" style="font:12px sans-serif;margin:4px 0">warning: a&lt;b<br>warning: c&amp;d</div>`+"\n" {
		t.Errorf("warningsHTML = %q", got)
	}
}
