package viz_test

// Temporary (never committed): dumps every output of many figures for byte comparison.

import (
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/attnviz/attnviz/internal/demo"
	"github.com/attnviz/attnviz/internal/gallery"
	"github.com/attnviz/attnviz/tensor"
	"github.com/attnviz/attnviz/viz"
)

func TestZZDump(t *testing.T) {
	dir := os.Getenv("VIZDUMP")
	if dir == "" {
		t.Skip()
	}
	os.MkdirAll(dir, 0o755)
	figs := map[string]*viz.Figure{}
	add := func(prefix string, opts ...viz.Option) {
		for _, ex := range gallery.Figures(opts...) {
			figs[prefix+ex.Name] = ex.Figure
		}
	}
	add("g-")
	add("gd-", viz.Theme(viz.Dark), viz.DPI(144), viz.Palette(viz.Magma))
	add("gs-", viz.Size(900, 700), viz.Title("T"), viz.Annotate())
	toks := demo.Tokens(9)
	st := demo.Stack(2, 3, 9)
	figs["hv"] = viz.HeadView(st, viz.Tokens(toks))
	figs["hv2"] = viz.HeadView(st, viz.Tokens(toks), viz.Layers(1), viz.Heads(0, 2), viz.Theme(viz.Dark))
	figs["ex"] = viz.Explorer(st, viz.Tokens(toks), viz.Layers(1), viz.Heads(2), viz.SharedScale(true))
	figs["ex2"] = viz.Explorer(st, viz.Range(0, 0.5), viz.SharedScale(true), viz.Size(800, 600))
	figs["hm-cross"] = viz.Heatmap(tensor.Full(0.25, 3, 4), viz.Tokens([]string{"a", "b", "c"}), viz.KeyTokens([]string{"w", "x", "y", "z"}))
	figs["hm-values"] = viz.Heatmap(tensor.RandN(3, 4, 6), viz.Axes("tok", "dim", "v"), viz.Tokens([]string{"a", "b", "c", "d"}), viz.KeyTokens([]string{"0", "1", "2", "3", "4", "5"}))
	figs["hm-mask"] = viz.Heatmap(demo.Attention(6), viz.Mask(tensor.CausalMask(6)), viz.Highlight(3), viz.Range(0, 2))
	figs["strip1"] = viz.TokenStrip(demo.Attention(6).Index(4), viz.Query(4), viz.Tokens(demo.Tokens(6)))
	figs["strip2"] = viz.TokenStrip(demo.Attention(6), viz.Range(0, 1))
	figs["steps-noq"] = viz.Steps(tensor.RandN(1, 3, 2), tensor.RandN(2, 4, 2), tensor.RandN(3, 4, 3), viz.Query(1))
	figs["rollout-lh"] = viz.Rollout(demo.Stack(3, 4, 6), viz.Layers(0, 2), viz.Heads(1, 3), viz.Query(2))
	figs["stats-lh"] = viz.HeadStats(demo.Stack(3, 4, 6), viz.Layers(0, 2), viz.Heads(1, 3))
	figs["rope-base"] = viz.RoPE(16, 8, viz.Base(500))
	figs["err-hm"] = viz.Heatmap(tensor.Zeros(2, 3), viz.Tokens([]string{"a"}), viz.KeyTokens([]string{"b"}))
	figs["err-steps"] = viz.Steps(nil, nil, nil)
	figs["warn"] = viz.Heatmap(tensor.Full(0.3, 3, 3), viz.DPI(-1), viz.Size(-1, 4))
	figs["ann"] = viz.Heatmap(demo.Attention(16), viz.Annotate())
	figs["noann"] = viz.Heatmap(demo.Attention(4), viz.NoAnnotate())
	figs["big"] = viz.Heatmap(demo.Attention(1100))
	figs["big2"] = viz.Heatmap(demo.Attention(700))
	names := make([]string, 0, len(figs))
	for n := range figs {
		names = append(names, n)
	}
	sort.Strings(names)
	var sum strings.Builder
	viz.ResendScript()
	viz.ScriptInEveryFigure(false)
	for _, n := range names {
		f := figs[n]
		w := func(ext string, b []byte) {
			os.WriteFile(filepath.Join(dir, n+ext), b, 0o644)
			fmt.Fprintf(&sum, "%s%s %x\n", n, ext, sha256.Sum256(b))
		}
		w(".png", f.PNG())
		w(".txt", []byte(fmt.Sprintf("%s\n%v\n%q\n", f.String(), f.Err(), f.Warnings())))
		w(".frag.html", []byte(f.HTML()))
		for _, ext := range []string{".svg", ".html"} {
			b, err := f.Encode(ext)
			if err != nil {
				b = []byte("ERR " + err.Error())
			}
			w(ext, b)
		}
		sr := f.SimpleRender()
		w(".plain", []byte(fmt.Sprint(sr["text/plain"])))
	}
	os.WriteFile(filepath.Join(dir, "SUMS"), []byte(sum.String()), 0o644)
}
