package viz

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/attnviz/attnviz/tensor"
	"github.com/attnviz/attnviz/viz/internal/echarts"
)

// figureCases builds every Figure that has an interactive view.
func figureCases(t testing.TB) map[string]*Figure {
	t.Helper()
	toks := demoTokens(9)
	w, _ := demoAttention(1, 9, 9, true)
	att := tensor.New(demoStack(2, 3, 9), 2, 3, 9, 9)
	q, k, v, m := demoQKV(6, 4, 3)
	figs := map[string]*Figure{
		"fig-heatmap":  Heatmap(tensor.New(w, 9, 9), Tokens(toks), Title("a head"), Highlight(2)),
		"fig-grid":     Grid(att, Tokens(toks), Heads(1)),
		"fig-headview": HeadView(att, Tokens(toks), Theme(Dark)),
		"fig-explorer": Explorer(att, Tokens(toks), Layers(1), Heads(2)),
		"fig-steps":    Steps(tensor.New(q, 6, 4), tensor.New(k, 6, 4), tensor.New(v, 6, 3), Mask(tensor.New(m, 6, 6)), Tokens(toks[:6]), Query(3)),
		"fig-strip":    TokenStrip(tensor.New(w, 9, 9), Tokens(toks), Query(4)),
	}
	for name, f := range figs {
		if f.Err() != nil {
			t.Fatalf("%s: %v", name, f.Err())
		}
	}
	return figs
}

func TestFigureInteractive(t *testing.T) {
	for name, f := range figureCases(t) {
		if f.html == nil {
			t.Errorf("%s: no interactive writer attached", name)
			continue
		}
		h := f.HTML()
		if !strings.Contains(h, `class="attnviz attnviz-`) || !strings.Contains(h, "rt.boot(") || !strings.Contains(h, echarts.LibraryKey()) {
			t.Errorf("%s: HTML() is not the interactive fragment: %.200s", name, h)
		}
		if !strings.Contains(h, `<img class="attnviz-fallback"`) {
			t.Errorf("%s: notebook fragment lacks the PNG fallback", name)
		}
		// Where scripts do not run, the picture says how to get the
		// interactive figure, and no reserved height leaves a blank box
		// under it (the chart sizes itself when it mounts).
		if !strings.Contains(h, `<p class="attnviz-static"`) || !strings.Contains(h, "trust the notebook") {
			t.Errorf("%s: the fallback picture has no line saying how to make it interactive", name)
		}
		if strings.Contains(h, "min-height") {
			t.Errorf("%s: the figure's container reserves a min-height: a blank box under the fallback where scripts do not run", name)
		}
		b, err := f.Encode(".html")
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !strings.HasPrefix(string(b), "<!DOCTYPE html>") || !strings.Contains(string(b), echarts.LibraryKey()) {
			t.Errorf("%s: saved .html is not a standalone page with the script", name)
		}
	}
	// A view without an interactive form keeps the static HTML.
	if f := Rollout(tensor.New(demoStack(2, 3, 9), 2, 3, 9, 9)); f.Err() == nil && f.html != nil {
		t.Errorf("Rollout should have no interactive writer")
	}
}

func TestHeadViewExplorerErrors(t *testing.T) {
	for _, f := range []*Figure{
		HeadView(tensor.New([]float32{0.5, -1, 0.5, 0.5}, 2, 2)),
		Explorer(tensor.New([]float32{1, 2, 3}, 3)),
		HeadView(tensor.New(demoStack(1, 2, 3), 1, 2, 3, 3), Tokens([]string{"a"})),
		Explorer(tensor.New(demoStack(1, 2, 3), 1, 2, 3, 3), Layers(4)),
	} {
		err := f.Err()
		if err == nil {
			t.Errorf("%v: want an error", f)
			continue
		}
		if !errors.Is(err, tensor.ErrShape) && !errors.Is(err, tensor.ErrValue) {
			t.Errorf("error %v does not wrap tensor.ErrShape/ErrValue", err)
		}
		if len(f.PNG()) == 0 || f.HTML() == "" {
			t.Errorf("error figure must still display")
		}
		t.Log(err)
	}
}

func TestFigureInteractiveSave(t *testing.T) {
	dir := t.TempDir()
	f := figureCases(t)["fig-explorer"]
	p := filepath.Join(dir, "x.html")
	if err := f.Save(p); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(p)
	if _, blob, _ := echarts.LibrarySizes(); len(b) < blob || !strings.Contains(string(b), `data-kind="explorer"`) || !strings.Contains(string(b), echarts.LibraryKey()) {
		t.Errorf("saved explorer page looks wrong (%d bytes)", len(b))
	}
}
