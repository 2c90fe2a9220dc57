package viz

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/attnviz/attnviz/internal/demo"
	"github.com/attnviz/attnviz/tensor"
)

// viewCases makes each view of the views table from small demo data.
func viewCases() map[viewKind]func(...Option) *Figure {
	w := demo.Attention(4)
	att := demo.Stack(2, 2, 4)
	q, k, v := demo.QKV(4, 3)
	scores := tensor.RandN(5, 4, 4)
	return map[viewKind]func(...Option) *Figure{
		heatmapView:      func(o ...Option) *Figure { return Heatmap(w, o...) },
		gridView:         func(o ...Option) *Figure { return Grid(att, o...) },
		headViewView:     func(o ...Option) *Figure { return HeadView(att, o...) },
		explorerView:     func(o ...Option) *Figure { return Explorer(att, o...) },
		stepsView:        func(o ...Option) *Figure { return Steps(q, k, v, o...) },
		maskPatternsView: func(o ...Option) *Figure { return MaskPatterns(4, 3, o...) },
		maskEffectView:   func(o ...Option) *Figure { return MaskEffect(scores, tensor.CausalMask(4), o...) },
		positionalView:   func(o ...Option) *Figure { return Positional(tensor.Sinusoidal(4, 8), o...) },
		ropeView:         func(o ...Option) *Figure { return RoPE(8, 4, o...) },
		headStatsView:    func(o ...Option) *Figure { return HeadStats(att, o...) },
		rolloutView:      func(o ...Option) *Figure { return Rollout(att, o...) },
		tokenStripView:   func(o ...Option) *Figure { return TokenStrip(w, o...) },
		inductionView:    func(o ...Option) *Figure { return Induction(att, []string{"a", "b", "a", "b"}, o...) },
	}
}

// everyOption gives each option a value that changes what a view that
// reads it draws, for the data of viewCases.
func everyOption() map[optionSet]Option {
	toks := demo.Tokens(4)
	return map[optionSet]Option{
		optTokens: Tokens(toks), optKeyTokens: KeyTokens([]string{"k0", "k1", "k2", "k3"}), optTitle: Title("a title"),
		optPalette: Palette(Magma), optSize: Size(2000, 1500), optDPI: DPI(120), optRange: Range(0, 0.5),
		optAnnotate: Annotate(), optNoAnnotate: NoAnnotate(), optHighlight: Highlight(1), optLayers: Layers(1),
		optHeads: Heads(1), optQuery: Query(1), optTheme: Theme(Dark), optMask: Mask(tensor.CausalMask(4)),
		optSharedScale: SharedScale(true), optBase: Base(500), optValues: Values(), optAxes: Axes("a", "b", "c"), optBatch: Batch(1),
		optPool: Pool(PoolMean),
	}
}

// TestViewOptions checks each view's entry in the views table: an option it
// does not read is left out with a warning and changes nothing drawn, and
// an option it reads changes the PNG or the interactive page.
func TestViewOptions(t *testing.T) {
	cases := viewCases()
	if len(cases) != len(views) {
		t.Fatalf("%d views in the table, %d in the test", len(views), len(cases))
	}
	opts := everyOption()
	if len(opts) != len(optionNames) {
		t.Fatalf("%d options, %d in the test", len(optionNames), len(opts))
	}
	page := func(f *Figure) []byte {
		b, err := f.Encode(".html")
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	for kind, mk := range cases {
		v := &views[kind]
		t.Run(v.name, func(t *testing.T) {
			base := mk()
			if base.Err() != nil || len(base.Warnings()) > 0 {
				t.Fatalf("%v %q", base.Err(), base.Warnings())
			}
			// Range draws on a grid only on one shared scale; small
			// matrices are annotated unless NoAnnotate.
			shared, plain := mk(SharedScale(true)), mk(NoAnnotate())
			for bit, o := range opts {
				name := bit.names()[0]
				if v.takes&bit == 0 {
					f := mk(o)
					want := fmt.Sprintf("viz.%s does not use the %s option; it was ignored", v.name, name)
					if got := f.Warnings(); len(got) != 1 || got[0] != want {
						t.Errorf("%s: warnings %q, want [%q]", name, got, want)
					}
					if !bytes.Equal(f.PNG(), base.PNG()) {
						t.Errorf("%s changed the PNG of a view that does not read it", name)
					}
					if !strings.Contains(f.HTML(), "does not use the "+name+" option") {
						t.Errorf("%s: the warning is not in the HTML", name)
					}
					continue
				}
				ref, f := base, mk(o)
				switch {
				case bit == optRange && v.takes&optSharedScale != 0:
					ref, f = shared, mk(SharedScale(true), o)
				case bit == optAnnotate:
					ref, f = plain, mk(NoAnnotate(), o)
				case bit == optBatch && kind == heatmapView:
					// a batch needs a stack: [batch, heads, queries, keys] here
					st := demo.Stack(2, 2, 4)
					ref, f = Heatmap(st, Heads(0), Layers(0)), Heatmap(st, Heads(0), Batch(1))
				case bit == optPool && kind == heatmapView:
					// pooling shows only on a matrix larger than the figure
					big := demo.Attention(1100)
					ref, f = Heatmap(big), Heatmap(big, o)
				}
				if f.Err() != nil || len(f.Warnings()) > 0 {
					t.Errorf("%s: %v %q", name, f.Err(), f.Warnings())
					continue
				}
				if bytes.Equal(f.PNG(), ref.PNG()) && bytes.Equal(page(f), page(ref)) {
					t.Errorf("%s is in the view's options but changes neither its PNG nor its interactive page", name)
				}
			}
		})
	}
}
